// Reads an iCalendar feed (standard input) with a real client library and prints, as JSON, what
// that library makes of every VEVENT: its UID, summary, start and alarm instants (Unix seconds).
// Used by tests/test_calendar_clients.py; the libraries are pinned in package.json.
//
//   node tests/clients/read_feed.mjs icaljs   < feed.ics   Mozilla's ical.js (Thunderbird's parser)
//   node tests/clients/read_feed.mjs nodeical < feed.ics   node-ical (MagicMirror and other apps)
import { readFileSync } from "node:fs";

const text = readFileSync(0, "utf8");
const mode = process.argv[2];

async function icaljs() {
  const { default: ICAL } = await import("ical.js");
  const root = new ICAL.Component(ICAL.parse(text));
  const events = [];
  for (const vevent of root.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    const start = event.startDate;
    const zone = start.zone;
    // A TZID must resolve to the feed's own VTIMEZONE (ical.js has no zone data of its own).
    const fromFeed = zone === ICAL.Timezone.utcTimezone || Boolean(zone && zone.component);
    const at = start.toUnixTime();
    // Thunderbird adds an alarm's offset to the start in UTC (calAlarmUtils.calculateAlarmDate).
    const alarms = vevent.getAllSubcomponents("valarm").map((alarm) => {
      const trigger = alarm.getFirstPropertyValue("trigger");
      return trigger instanceof ICAL.Duration ? at + trigger.toSeconds() : trigger.toUnixTime();
    });
    events.push({
      uid: event.uid,
      summary: event.summary,
      start: at,
      tzid: fromFeed ? (zone.tzid ?? "UTC") : null,
      recurring: event.isRecurring(),
      alarms,
    });
  }
  return { events, timezones: root.getAllSubcomponents("vtimezone").length };
}

async function nodeical() {
  const { default: ical } = await import("node-ical");
  const parsed = ical.sync.parseICS(text);
  const events = [];
  const strays = [];
  for (const [key, item] of Object.entries(parsed)) {
    if (item.type === "VEVENT") {
      events.push({
        uid: item.uid,
        summary: String(item.summary),
        start: item.start.getTime() / 1000,
        alarms: (item.alarms ?? []).map((a) => String(a.trigger?.val ?? a.trigger)),
      });
    } else if (item.type !== "VTIMEZONE" && item.type !== "VCALENDAR") {
      strays.push({ key, type: item.type });
    }
  }
  return { events, strays };
}

const readers = { icaljs, nodeical };
if (!(mode in readers)) {
  console.error(`usage: read_feed.mjs ${Object.keys(readers).join("|")} < feed.ics`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(await readers[mode]()));
