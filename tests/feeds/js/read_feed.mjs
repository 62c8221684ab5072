// Reads one iCalendar feed from standard input with Mozilla's ical.js (the parser
// inside Thunderbird) and prints what it understood as JSON on standard output:
//
//   {"calendar": {...}, "timezones": [...], "events": [{uid, start_utc, ...}]}
//
// Times are printed in UTC as ical.js computes them from the feed's own VTIMEZONE
// components, so the Python tests can compare them with the database. A time whose
// zone ical.js could not resolve is reported with its zone ("floating") rather than
// guessed. Exits 1 with a message on standard error when the feed does not parse.

import ICAL from "ical.js";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function utc(time) {
  if (!time) {
    return null;
  }
  if (time.isDate) {
    return time.toString(); // YYYY-MM-DD, a calendar date has no instant
  }
  // Floating times have no instant either; report them as written.
  if (time.zone === ICAL.Timezone.localTimezone) {
    return null;
  }
  return time.convertToZone(ICAL.Timezone.utcTimezone).toString() + "Z";
}

function zoneOf(time) {
  if (!time || time.isDate) {
    return null;
  }
  if (time.zone === ICAL.Timezone.localTimezone) {
    return "floating";
  }
  return time.zone.tzid;
}

function text(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null || value === undefined ? null : String(value);
}

function describeEvent(vevent) {
  const event = new ICAL.Event(vevent);
  const conference = vevent.getFirstProperty("conference");
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    url: text(vevent, "url"),
    status: text(vevent, "status"),
    sequence: event.sequence,
    dtstamp: utc(vevent.getFirstPropertyValue("dtstamp")),
    last_modified: utc(vevent.getFirstPropertyValue("last-modified")),
    start_utc: utc(event.startDate),
    end_utc: utc(event.endDate),
    start_zone: zoneOf(event.startDate),
    end_zone: zoneOf(event.endDate),
    conference: conference ? String(conference.getFirstValue()) : null,
    recurring: event.isRecurring(),
    property_names: vevent.getAllProperties().map((property) => property.name),
  };
}

const source = await readStdin();
let root;
try {
  root = new ICAL.Component(ICAL.parse(source));
} catch (error) {
  process.stderr.write(`ical.js could not parse the feed: ${error.message}\n`);
  process.exit(1);
}

// Each zone the feed defines is registered before any time is read, as Thunderbird does.
ICAL.TimezoneService.reset();
const timezones = [];
for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
  const zone = new ICAL.Timezone(vtimezone);
  ICAL.TimezoneService.register(zone);
  timezones.push(zone.tzid);
}

const calendar = {
  name: root.name,
  version: text(root, "version"),
  prodid: text(root, "prodid"),
  method: text(root, "method"),
  uid: text(root, "uid"),
  calendar_name: text(root, "name"),
  x_wr_calname: text(root, "x-wr-calname"),
  refresh_interval: text(root, "refresh-interval"),
  x_published_ttl: text(root, "x-published-ttl"),
  components: root.getAllSubcomponents().map((component) => component.name),
};

const events = root.getAllSubcomponents("vevent").map(describeEvent);
process.stdout.write(JSON.stringify({ calendar, timezones, events }));
