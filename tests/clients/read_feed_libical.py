"""Reads an iCalendar feed (standard input) with libical, through its GObject bindings, and prints
as JSON what libical makes of it: every VEVENT's UID, summary, start and alarm instants (Unix
seconds), and the errors libical's parser and its RFC 5545 restriction check (the libical
validator) report.

Run with Debian's interpreter, which has ``gi`` (python3-gi) and the ICalGLib typelib
(gir1.2-ical-3.0): ``/usr/bin/python3 tests/clients/read_feed_libical.py < feed.ics``. Used by
tests/test_calendar_clients.py.
"""

import json
import sys
import tempfile

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I  # noqa: E402


def errors(component):
    """The X-LIC-ERROR properties libical added anywhere in ``component``."""
    found = []
    prop = component.get_first_property(I.PropertyKind.XLICERROR_PROPERTY)
    while prop is not None:
        kind = I.Component.kind_to_string(component.isa())
        found.append(f"{kind}: {prop.as_ical_string().strip()}")
        prop = component.get_next_property(I.PropertyKind.XLICERROR_PROPERTY)
    child = component.get_first_component(I.ComponentKind.ANY_COMPONENT)
    while child is not None:
        found += errors(child)
        child = component.get_next_component(I.ComponentKind.ANY_COMPONENT)
    return found


def children(component, kind):
    child = component.get_first_component(kind)
    while child is not None:
        yield child
        child = component.get_next_component(kind)


def instant(time):
    """Unix seconds of a DATE-TIME: its own zone (the feed's VTIMEZONE) or UTC."""
    zone = time.get_timezone()
    return I.Time.as_timet_with_zone(time, zone) if zone is not None else time.as_timet()


def main():
    # No zone directory: a TZID can only resolve to the feed's own VTIMEZONE, never to the
    # system's tz database.
    empty = tempfile.mkdtemp(prefix="libical-nozones-")
    I.Timezone.set_zone_directory(empty)
    text = sys.stdin.read()
    cal = I.Component.new_from_string(text)
    valid = bool(I.restriction_check(cal))  # adds X-LIC-ERROR where a restriction fails
    events = []
    for vevent in children(cal, I.ComponentKind.VEVENT_COMPONENT):
        start = vevent.get_dtstart()
        prop = vevent.get_first_property(I.PropertyKind.DTSTART_PROPERTY)
        tzid = prop.get_parameter_as_string("TZID")
        zone = start.get_timezone()
        at = instant(start)
        alarms = []
        for valarm in children(vevent, I.ComponentKind.VALARM_COMPONENT):
            trigger = valarm.get_first_property(I.PropertyKind.TRIGGER_PROPERTY).get_trigger()
            if trigger.get_time().is_null_time():
                # time_t arithmetic, as Evolution (libecal) computes alarm instants
                alarms.append(at + trigger.get_duration().as_int())
            else:
                alarms.append(instant(trigger.get_time()))
        events.append(
            {
                "uid": vevent.get_uid(),
                "summary": vevent.get_summary(),
                "start": at,
                "tzid": tzid,
                "zone": zone.get_tzid() if zone is not None and not start.is_utc() else None,
                "recurring": vevent.get_first_property(I.PropertyKind.RRULE_PROPERTY) is not None,
                "alarms": alarms,
            }
        )
    json.dump(
        {"events": events, "valid": valid, "errors": errors(cal)},
        sys.stdout,
    )


main()
