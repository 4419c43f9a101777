"""Appointments (预约) as pure rules: a service's slots, booking one, cancelling, checking in.

Like rules.py, nothing here reads a clock or a database: the hub hands in `now`, the hall day,
the counts it read inside its write transaction and the new ids.

The daily limit (`daily_limit`) covers bookings and walk-ins together: on a hall day, the
service's tickets (walk-ins and check-ins alike) plus its bookings not yet checked in never
exceed it. A booking takes one of those places when it is made (so a walk-in is refused once the
day's tickets and open bookings reach the limit) and its check-in always gets its ticket, late
or not: the place was its own since it booked. A cancelled booking frees its place.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from ... import events
from ..config.model import Service
from .model import BOOKED, CANCELLED, CHECKED_IN, WAITING, Appointment, DomainError, Event, Outcome, Ticket
from .rules import MAX_SEQ_NO, format_number


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    capacity: int
    booked: int = 0


def _hhmm(dt: datetime) -> str:
    return dt.strftime("%H:%M")


def takes_bookings(service: Service | None) -> bool:
    return service is not None and not service.retired and service.appointments is not None


def day_slots(service: Service, day: date, tz: tzinfo) -> list[Slot]:
    """Every slot of a service on a hall day, bookable or not: from each opening span of its
    hours on that weekday, one every `slot_minutes`, the last ending no later than the span
    (none on a day it is closed). Times are the hall's wall clock (`tz`)."""
    rules = service.appointments
    if rules is None or day.weekday() not in service.hours.days:
        return []
    step = timedelta(minutes=rules.slot_minutes)
    slots = []
    for span in service.hours.spans:
        at = datetime.combine(day, span.start, tz)
        end = (datetime.combine(day, span.end, tz) if span.end is not None
               else datetime.combine(day + timedelta(days=1), time(0), tz))
        while at + step <= end:
            slots.append(Slot(at, at + step, rules.per_slot))
            at += step
    return sorted(slots, key=lambda s: s.start)


def bookable_day(service: Service, day: date, today: date) -> bool:
    """Whether bookings are taken for `day` at all: today up to `days_ahead` days after it,
    and not today when the staff have closed the service for now."""
    if not takes_bookings(service):
        return False
    if day < today or day > today + timedelta(days=service.appointments.days_ahead):
        return False
    return not (day == today and service.closed)


def open_slots(service: Service, day: date, tz: tzinfo, now: datetime, today: date,
               booked: dict[datetime, int]) -> list[Slot]:
    """The slots listed for booking on `day`: none on a day not bookable; of the others, every
    slot that has not ended yet (the one under way is still listed), with its places taken
    (`booked`: slot start -> bookings not cancelled)."""
    if not bookable_day(service, day, today):
        return []
    return [Slot(s.start, s.end, s.capacity, booked.get(s.start, 0))
            for s in day_slots(service, day, tz) if s.end > now]


def find_slot(service: Service, start: datetime, day: date, tz: tzinfo) -> Slot | None:
    return next((s for s in day_slots(service, day, tz) if s.start == start), None)


def book(service: Service, start: datetime, *, day: date, tz: tzinfo, now: datetime, today: date,
         booked: int, day_taken: int, appointment_id: str, code: str, token: str,
         phone: str | None = None, lang: str | None = None) -> Appointment:
    """Book the slot of `service` starting at `start` (on hall day `day`). `booked`: that
    slot's bookings not cancelled; `day_taken`: the day's tickets of the service plus its
    bookings not checked in (what the daily limit counts)."""
    if not takes_bookings(service):
        raise DomainError("bad_request", f"Service {service.id} does not take appointments",
                          "该业务不接受预约", status=400)
    slot = find_slot(service, start, day, tz)
    if slot is None:
        raise DomainError("bad_request", f"{start.isoformat()} is not a slot of service {service.id}",
                          "所选时间不是该业务的预约时段", status=400)
    if slot.end <= now:
        raise DomainError("bad_request", f"The slot at {_hhmm(start)} on {day} has ended",
                          "该预约时段已结束", status=400)
    if day > today + timedelta(days=service.appointments.days_ahead):
        raise DomainError("bad_request",
                          f"Service {service.id} takes bookings up to "
                          f"{service.appointments.days_ahead} days ahead",
                          f"该业务仅可预约 {service.appointments.days_ahead} 天内的时段", status=400)
    if day == today and service.closed:
        raise DomainError("service_closed", f"Service {service.id} is closed for now",
                          "该业务暂停办理，今日不可预约")
    if booked >= slot.capacity:
        raise DomainError("slot_full", f"The slot at {_hhmm(start)} on {day} is fully booked",
                          "该时段已约满，请选择其他时段")
    if service.daily_limit is not None and day_taken >= service.daily_limit:
        raise DomainError("daily_limit_reached",
                          f"Service {service.id} has given all its {service.daily_limit} places for {day}",
                          "该业务当日号源已满")
    return Appointment(id=appointment_id, code=code, token=token, service=service.id,
                       day=day.isoformat(), start=slot.start, end=slot.end, status=BOOKED,
                       created_at=now, phone=phone, lang=lang)


def cancel(appointment: Appointment, today: str) -> Appointment:
    """The citizen cancels a booking: its place is freed. Cancelling again changes nothing."""
    if appointment.status == CANCELLED:
        return appointment
    if appointment.status == CHECKED_IN:
        raise DomainError("invalid_state", "This booking is already checked in; its ticket can be "
                          "cancelled from the ticket's page", "该预约已签到取号，不能取消预约")
    if appointment.day < today:
        raise DomainError("invalid_state", f"This booking was for {appointment.day}, which is over",
                          "该预约的日期已过")
    return replace(appointment, status=CANCELLED)


def check_in(appointment: Appointment, service: Service, *, now: datetime, today: str,
             last_seq_no: int, ticket_id: str, token: str, lang: str | None = None,
             device: str | None = None) -> tuple[Outcome, Appointment]:
    """Check a booking in at the kiosk (on its hall day): from `early_minutes` before its slot
    to `late_minutes` after the start, an appointment's ticket; later, a walk-in's ticket that
    still says it was booked (`slot_late`), queued from now. The number is the service's next
    of the day, as for a walk-in. Opening hours are not asked (the booking is the promise; an
    early arrival may check in before the doors' hours begin), the staff closing the service is.
    A checked-in booking is answered by the hub with its ticket, not here."""
    if appointment.status == CANCELLED:
        raise DomainError("invalid_state", "This booking was cancelled", "该预约已取消")
    if appointment.status != BOOKED:
        raise DomainError("invalid_state", "This booking is already checked in", "该预约已签到")
    rules = service.appointments
    early = rules.early_minutes if rules else 30
    late = rules.late_minutes if rules else 15
    opens = appointment.start - timedelta(minutes=early)
    if appointment.day < today:
        raise DomainError("invalid_state", f"This booking was for {appointment.day}, which is over",
                          f"该预约日期（{appointment.day}）已过")
    if appointment.day > today:
        raise DomainError("too_early", f"This booking is for {appointment.day}; check in from "
                          f"{_hhmm(opens)} that day",
                          f"该预约为 {appointment.day}，请于当日 {_hhmm(opens)} 后签到")
    if now < opens:
        raise DomainError("too_early", f"Too early: check in from {_hhmm(opens)} "
                          f"(the slot starts at {_hhmm(appointment.start)})",
                          f"签到时间未到，请于 {_hhmm(opens)} 后签到"
                          f"（预约时段 {_hhmm(appointment.start)} 开始）")
    if service.closed or service.retired:
        raise DomainError("service_closed", f"Service {service.id} is closed for now",
                          "该业务暂停办理")
    seq_no = last_seq_no + 1
    if seq_no > MAX_SEQ_NO:
        raise DomainError("daily_limit_reached",
                          f"Service {service.id} has used all {MAX_SEQ_NO} numbers for today",
                          "该业务今日号码已用完")
    is_late = now > appointment.start + timedelta(minutes=late)
    ticket = Ticket(
        id=ticket_id, number=format_number(service.prefix, seq_no), seq_no=seq_no, day=today,
        service=service.id, origin_service=service.id, priority="normal", status=WAITING,
        issued_at=now, queued_at=now, token=token, lang=lang or appointment.lang, device=device,
        appointment_code=appointment.code, slot_start=appointment.start, slot_late=is_late)
    checked = replace(appointment, status=CHECKED_IN, ticket_id=ticket_id)
    out = Outcome(ticket=ticket, tickets=[ticket], events=[Event(events.TICKET_ISSUED, now, ticket)])
    return out, checked
