from datetime import datetime

import pytest

from printer.ticket import TicketPrint


@pytest.fixture
def ticket():
    return TicketPrint(
        hall={"zh": "净月政务服务中心", "en": "Jingyue Government Service Centre"},
        service={"zh": "企业名称预先核准", "en": "Company name pre-approval"}, number="A023",
        priority="normal", ahead=3, estimated_wait_s=540, issued_at=datetime(2026, 11, 27, 9, 5),
        windows=[{"zh": f"{i}号窗口", "en": f"Window {i}"} for i in (1, 2, 3, 4)],
        materials=[{"zh": "申请人身份证原件及复印件（正反面复印在同一页上）",
                    "en": "Applicant's ID card, original and a copy of both sides on one page"},
                   {"zh": "《企业名称预先核准申请书》", "en": "Company name pre-approval application form"},
                   {"zh": "全体投资人签署的指定代表证明", "en": "Letter appointing a representative, signed by all investors"}],
        status_url="http://10.0.0.2:8080/t/Zx8_pQ-token", lang="zh")
