//! Timestamps to epoch milliseconds: RFC 3339 and its common relatives (space separator,
//! `+0000` offsets, no offset = UTC), epoch seconds/milliseconds/micro/nanoseconds, or a strftime
//! format given by the mapping (Python's `%f` accepted).

use std::sync::Arc;

use chrono::DateTime;
use chrono::format::{Fixed, Item, Numeric, Parsed, StrftimeItems, parse_and_remainder};

/// How a mapping says its times are written.
#[derive(Debug, Clone)]
pub enum TimeFormat {
    /// Try every known layout.
    Auto,
    /// Epoch seconds (the reference's `epoch`).
    EpochSeconds,
    EpochMillis,
    /// A chrono strftime format (converted from Python's where they differ). `iso` when the
    /// format is one of the RFC 3339 relatives, which the fast parser reads exactly.
    Strftime {
        format: String,
        /// The format read once, at load.
        items: Arc<[Item<'static>]>,
        iso: bool,
        /// The format names no year (syslog's `%b %e %H:%M:%S`): see `parse_year_less`.
        year_less: bool,
    },
}

/// chrono specifiers that give the year, alone or within a composite.
const YEAR_SPECIFIERS: &[&str] = &[
    "%Y", "%C", "%y", "%G", "%g", "%D", "%x", "%F", "%v", "%c", "%+", "%s",
];

/// Formats that write `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|offset]`, read by `parse_iso_like`.
const ISO_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%:z",
    "%Y-%m-%dT%H:%M:%S%.f%:z",
];

/// A time every `timestamp.format` must be able to write and read back (see `from_spec`).
const PROBE_MS: i64 = 1_709_633_702_114;

impl TimeFormat {
    /// The layout a mapping gives, checked at load: a strftime format must be one chrono knows
    /// and must read back a time it writes, so a format that lacks the date (`%H:%M`) or is
    /// no format at all (`epoch_us`) is refused with the reason, not found out per record.
    pub fn from_spec(spec: Option<&str>) -> Result<TimeFormat, String> {
        Ok(match spec.map(str::trim) {
            None | Some("") | Some("auto") => TimeFormat::Auto,
            Some("epoch") | Some("epoch_s") | Some("epoch_seconds") => TimeFormat::EpochSeconds,
            Some("epoch_ms") | Some("epoch_millis") => TimeFormat::EpochMillis,
            Some(f) => {
                let format = f.replace(".%f", "%.f");
                let items: Arc<[Item<'static>]> = StrftimeItems::new(&python_fraction(&format))
                    .parse_to_owned()
                    .map_err(|_| {
                        format!(
                            "`{f}` is not a strftime format: a `%` is followed by what chrono does not know (formats: auto, epoch, epoch_ms, or strftime such as `%d/%b/%Y:%H:%M:%S %z`)"
                        )
                    })?
                    .into();
                let probe = DateTime::from_timestamp_millis(PROBE_MS).expect("a valid time");
                let mut written = String::new();
                if std::fmt::Write::write_fmt(
                    &mut written,
                    format_args!("{}", probe.format_with_items(items.iter())),
                )
                .is_err()
                {
                    return Err(format!("`{f}` cannot write a time (chrono refuses it)"));
                }
                let iso = ISO_FORMATS.contains(&format.as_str());
                let year_less = !YEAR_SPECIFIERS.iter().any(|y| format.contains(y));
                let tf = TimeFormat::Strftime {
                    format,
                    items,
                    iso,
                    year_less,
                };
                if parse_any(&written, &tf).is_none() {
                    return Err(format!(
                        "`{f}` cannot read back a time it writes (`{written}`): it needs at least a day of the year, or is none of auto, epoch, epoch_ms"
                    ));
                }
                tf
            }
        })
    }
}

impl TimeFormat {
    /// What a time may look like under this format, for a message about one that is none.
    pub fn describe(&self) -> String {
        const BUILT_IN: &str =
            "RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]`, epoch seconds or milliseconds";
        match self {
            TimeFormat::Auto => {
                format!("{BUILT_IN}; `timestamp.format` in the mapping file gives another layout")
            }
            TimeFormat::EpochSeconds => format!("epoch seconds (`timestamp.format`), {BUILT_IN}"),
            TimeFormat::EpochMillis => {
                format!("epoch milliseconds (`timestamp.format`), {BUILT_IN}")
            }
            TimeFormat::Strftime { format, .. } => {
                format!("`{format}` (`timestamp.format`), {BUILT_IN}")
            }
        }
    }
}

/// The first and last millisecond whose UTC day is a partition's `eventDay`: four digits of
/// year, 0000-01-01 to 9999-12-31.
const FIRST_MS: i64 = -62_167_219_200_000;
const LAST_MS: i64 = 253_402_300_799_999;

/// Whether a time can be stored: its day names a partition. chrono's `%Y` reads any number of
/// digits and a sign (`-2021-03-16`, `209-10-11` of a cut line), and an epoch may be any
/// number; a time before year 0 or after 9999 is a value this source does not mean as a time.
fn is_storable(ms: i64) -> bool {
    (FIRST_MS..=LAST_MS).contains(&ms)
}

/// A text time as epoch milliseconds, in the format the mapping gives (or any known one), when
/// it is storable (see `is_storable`).
pub fn parse_time_str(s: &str, fmt: &TimeFormat) -> Option<i64> {
    parse_any(s, fmt).filter(|&ms| is_storable(ms))
}

fn parse_any(s: &str, fmt: &TimeFormat) -> Option<i64> {
    let s = s.trim();
    match fmt {
        TimeFormat::EpochSeconds => {
            if let Some(ms) = epoch_text_to_ms(s, EpochUnit::Seconds) {
                return Some(ms);
            }
        }
        TimeFormat::EpochMillis => {
            if let Some(ms) = epoch_text_to_ms(s, EpochUnit::Millis) {
                return Some(ms);
            }
        }
        TimeFormat::Strftime {
            items,
            iso,
            year_less,
            ..
        } => {
            if *iso && let Some(ms) = parse_iso_like(s.as_bytes()) {
                return Some(ms);
            }
            let parsed = if *year_less {
                parse_year_less(s, items, chrono::Utc::now())
            } else {
                parse_items(s, items).and_then(|p| to_ms(&p))
            };
            if parsed.is_some() {
                return parsed;
            }
        }
        TimeFormat::Auto => {}
    }
    if let Some(ms) = parse_iso_like(s.as_bytes()) {
        return Some(ms);
    }
    if let Some(ms) = parse_dotnet_date(s) {
        return Some(ms);
    }
    if let Some(ms) = epoch_text_to_ms(s, EpochUnit::Auto) {
        return Some(ms);
    }
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// The unit of an epoch number.
#[derive(Debug, Clone, Copy, PartialEq)]
enum EpochUnit {
    Seconds,
    Millis,
    /// Guessed from the magnitude of the whole part: seconds, milli-, micro- or nanoseconds.
    Auto,
}

impl EpochUnit {
    /// The power of ten that takes a number in this unit to milliseconds.
    fn to_ms_exponent(self, whole: u128) -> i32 {
        match self {
            EpochUnit::Seconds => 3,
            EpochUnit::Millis => 0,
            EpochUnit::Auto if whole < 100_000_000_000 => 3,
            EpochUnit::Auto if whole < 100_000_000_000_000 => 0,
            EpochUnit::Auto if whole < 100_000_000_000_000_000 => -3,
            EpochUnit::Auto => -6,
        }
    }
}

/// An epoch number written in decimal (`1764633599.9996`, `-12.5` with a given unit) as
/// milliseconds, computed on the digits, not through a float: what lies below a millisecond is
/// cut toward the past, as for every other layout, so a time never moves into the next
/// millisecond (or the next day). Auto does not take negative numbers; a float's exponent
/// (`1.7e9`) is read, as a float, only with a given unit.
fn epoch_text_to_ms(s: &str, unit: EpochUnit) -> Option<i64> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) if unit != EpochUnit::Auto => (true, rest),
        Some(_) => return None,
        None => (false, s),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + frac.len() == 0 || !digits(whole) || !digits(frac) {
        return match unit {
            EpochUnit::Auto => None,
            _ => {
                let f = body.parse::<f64>().ok().filter(|f| f.is_finite())?;
                let signed = if negative { -f } else { f };
                Some((signed * 10f64.powi(unit.to_ms_exponent(0))).floor() as i64)
            }
        };
    }
    let whole_value: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let exponent = unit.to_ms_exponent(whole_value);
    let (ms, cut) = if exponent >= 0 {
        let e = exponent as usize;
        let (kept, rest) = frac.split_at(e.min(frac.len()));
        let kept_value: u128 = if kept.is_empty() {
            0
        } else {
            kept.parse().ok()?
        };
        let ms = whole_value.checked_mul(10u128.pow(exponent as u32))?
            + kept_value * 10u128.pow((e - kept.len()) as u32);
        (ms, rest.bytes().any(|b| b != b'0'))
    } else {
        let d = 10u128.pow(exponent.unsigned_abs());
        (
            whole_value / d,
            !whole_value.is_multiple_of(d) || frac.bytes().any(|b| b != b'0'),
        )
    };
    let ms = i64::try_from(ms).ok()?;
    Some(if negative { -ms - i64::from(cut) } else { ms })
}

/// A JSON number as an epoch time, its unit guessed from its magnitude (see `EpochUnit::Auto`);
/// below a millisecond is cut, not rounded. Negative numbers are not times, nor are those
/// beyond year 9999.
pub fn epoch_number_to_ms(n: crate::event::Node<'_>) -> Option<i64> {
    use crate::event::Node;
    let ms = match n {
        Node::U64(u) => {
            let whole = u128::from(u);
            let e = EpochUnit::Auto.to_ms_exponent(whole);
            let ms = if e >= 0 {
                whole * 10u128.pow(e as u32)
            } else {
                whole / 10u128.pow(e.unsigned_abs())
            };
            i64::try_from(ms).ok()
        }
        // Rust writes a float in the fewest digits that read back as the same float: the
        // digits the source wrote, for any it could have written.
        Node::F64(f) if f.is_finite() && f >= 0.0 => {
            epoch_text_to_ms(&format!("{f}"), EpochUnit::Auto)
        }
        _ => None,
    };
    ms.filter(|&ms| is_storable(ms))
}

/// The JSON date of .NET, `/Date(1709633702114)/` or `/Date(1709633702114+0100)/`, as Windows
/// PowerShell's `ConvertTo-Json` writes `TimeCreated`: milliseconds since the epoch (UTC); the
/// offset only tells the zone the writer was in.
fn parse_dotnet_date(s: &str) -> Option<i64> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let zone = inner
        .bytes()
        .skip(1)
        .position(|b| b == b'+' || b == b'-')
        .map_or(inner.len(), |i| i + 1);
    let (ms, offset) = inner.split_at(zone);
    if !offset.is_empty() && (offset.len() != 5 || num(&offset.as_bytes()[1..]).is_none()) {
        return None;
    }
    ms.parse().ok()
}

/// Python's `%f` (one to six digits of fraction, after any separator: `10:15:02,114` of
/// log4j and Python logging) as chrono's six-digit fraction, which `parse_items` reads as one
/// to nine digits. chrono's own `%f` would read `114` as nanoseconds.
fn python_fraction(format: &str) -> String {
    let mut out = String::with_capacity(format.len() + 4);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            match chars.next() {
                Some('f') => out.push_str("6f"),
                Some(n) => out.push(n),
                None => {}
            }
        }
    }
    out
}

/// The item `python_fraction` puts for `%f`.
fn fraction_item() -> &'static Item<'static> {
    static ITEM: std::sync::LazyLock<Item<'static>> = std::sync::LazyLock::new(|| {
        StrftimeItems::new("%6f")
            .parse_to_owned()
            .expect("a chrono format")
            .remove(0)
    });
    &ITEM
}

/// chrono's `%#z`: an offset as `%z` reads it, or `Z`, or hours alone, as Python's `%z`
/// reads it. Used to read `%z` (it cannot write a time, which the check at load does).
fn permissive_offset_item() -> &'static Item<'static> {
    static ITEM: std::sync::LazyLock<Item<'static>> = std::sync::LazyLock::new(|| {
        StrftimeItems::new("%#z")
            .parse_to_owned()
            .expect("a chrono format")
            .remove(0)
    });
    &ITEM
}

/// Read `s` with a format's items. chrono's `%Y` takes one to four digits (and a sign); here
/// a year is four digits, so `209-10-11` of a cut line is not year 209.
fn parse_items(s: &str, items: &[Item<'static>]) -> Option<Parsed> {
    let mut parsed = Parsed::new();
    let mut rest = s;
    let mut from = 0;
    for (i, item) in items.iter().enumerate() {
        if matches!(item, Item::Numeric(Numeric::Year | Numeric::IsoYear, _)) {
            rest = parse_and_remainder(&mut parsed, rest, items[from..i].iter()).ok()?;
            let digits = rest.trim_start().as_bytes();
            if !digits.get(..4)?.iter().all(u8::is_ascii_digit) {
                return None;
            }
            from = i;
        } else if matches!(item, Item::Fixed(Fixed::TimezoneOffset)) {
            rest = parse_and_remainder(&mut parsed, rest, items[from..i].iter()).ok()?;
            rest = parse_and_remainder(&mut parsed, rest, [permissive_offset_item()].into_iter())
                .ok()?;
            from = i + 1;
        } else if item == fraction_item() {
            rest = parse_and_remainder(&mut parsed, rest, items[from..i].iter()).ok()?;
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=9).contains(&n) {
                return None;
            }
            let digits: i64 = rest[..n].parse().ok()?;
            let nanos = digits * 10i64.pow(9 - n as u32);
            parsed.set_nanosecond(nanos).ok()?;
            rest = &rest[n..];
            from = i + 1;
        }
    }
    let rest = parse_and_remainder(&mut parsed, rest, items[from..].iter()).ok()?;
    rest.is_empty().then_some(parsed)
}

/// What was read as epoch milliseconds: with its offset, else as UTC; a date without a time
/// of day is its midnight (as Python's `strptime` has it).
fn to_ms(p: &Parsed) -> Option<i64> {
    let ms = |p: &Parsed| match p.to_datetime() {
        Ok(d) => Some(d.timestamp_millis()),
        Err(_) => p
            .to_naive_datetime_with_offset(0)
            .ok()
            .map(|d| d.and_utc().timestamp_millis()),
    };
    ms(p).or_else(|| {
        if p.hour_div_12().is_some() || p.minute().is_some() || p.timestamp().is_some() {
            return None;
        }
        let mut midnight = p.clone();
        midnight.set_hour(0).ok()?;
        midnight.set_minute(0).ok()?;
        ms(&midnight)
    })
}

/// A time in a format without a year (syslog's `Mar  5 10:11:12`): the year is the one of `now`
/// (UTC), or the one before when that would put the time more than a day ahead of `now` (a
/// December line read in January), as syslog receivers do.
fn parse_year_less(
    s: &str,
    items: &[Item<'static>],
    now: chrono::DateTime<chrono::Utc>,
) -> Option<i64> {
    use chrono::Datelike;
    let base = parse_items(s, items)?;
    let at = |year: i32| {
        let mut p = base.clone();
        p.set_year(year as i64).ok()?;
        to_ms(&p)
    };
    let ahead = now.timestamp_millis() + 86_400_000;
    match at(now.year()) {
        Some(ms) if ms <= ahead => Some(ms),
        // Ahead of now, or a day this year lacks (29 February): the year before.
        _ => at(now.year() - 1),
    }
}

fn num(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±HH[:]MM|±HH]`, without allocating.
fn parse_iso_like(b: &[u8]) -> Option<i64> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ' || b[10] == b't')
    {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, s) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if i < b.len() && (b[i] == b'.' || b[i] == b',') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let frac = &b[start..i.min(start + 3)];
        ms = num(frac)? * 10i64.pow(3 - frac.len() as u32);
    }
    let mut offset_min = 0i64;
    if i < b.len() {
        match b[i] {
            b'Z' | b'z' if i + 1 == b.len() => {}
            b'+' | b'-' => {
                let sign = if b[i] == b'-' { -1 } else { 1 };
                let rest = &b[i + 1..];
                let (oh, om) = match rest.len() {
                    2 => (num(rest)?, 0),
                    4 => (num(&rest[0..2])?, num(&rest[2..4])?),
                    5 if rest[2] == b':' => (num(&rest[0..2])?, num(&rest[3..5])?),
                    _ => return None,
                };
                offset_min = sign * (oh * 60 + om);
            }
            _ => return None,
        }
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
    Some(secs * 1000 + ms)
}

/// The UTC day of an epoch-millisecond time as `YYYYMMDD`.
pub fn event_day(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(d) => d.format("%Y%m%d").to_string(),
        None => "19700101".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_less_times_take_the_latest_year_not_ahead() {
        let fmt = TimeFormat::from_spec(Some("%b %e %H:%M:%S")).unwrap();
        assert!(matches!(
            fmt,
            TimeFormat::Strftime {
                year_less: true,
                ..
            }
        ));
        let now = DateTime::parse_from_rfc3339("2026-01-02T08:00:00Z")
            .unwrap()
            .to_utc();
        let items = |f: &str| StrftimeItems::new(f).parse_to_owned().unwrap();
        let syslog = items("%b %e %H:%M:%S");
        let ms = |s: &str| parse_year_less(s, &syslog, now);
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
        assert_eq!(ms("Jan  2 07:59:00"), Some(utc("2026-01-02T07:59:00Z")));
        // Up to a day ahead (clock skew) stays in this year; beyond, it is last year's.
        assert_eq!(ms("Jan  3 07:00:00"), Some(utc("2026-01-03T07:00:00Z")));
        assert_eq!(ms("Dec 31 23:59:59"), Some(utc("2025-12-31T23:59:59Z")));
        // Neither this year nor the last has a 29 February.
        assert_eq!(ms("Feb 29 10:00:00"), None);
        assert_eq!(ms("not a time"), None);
        // A zone in the layout is honoured.
        let z = parse_year_less("Jan  1 01:00:00 +0100", &items("%b %e %H:%M:%S %z"), now);
        assert_eq!(z, Some(utc("2026-01-01T00:00:00Z")));
        // Formats with a year are not year-less.
        for f in ["%d/%b/%Y:%H:%M:%S %z", "%m/%d/%y %H:%M", "%s", "%F %T"] {
            assert!(
                matches!(
                    TimeFormat::from_spec(Some(f)).unwrap(),
                    TimeFormat::Strftime {
                        year_less: false,
                        ..
                    }
                ),
                "{f}"
            );
        }
    }

    fn auto(s: &str) -> Option<i64> {
        parse_time_str(s, &TimeFormat::Auto)
    }

    #[test]
    fn iso_variants() {
        assert_eq!(auto("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(auto("2023-10-03 23:50:22.438"), Some(1696377022438));
        assert_eq!(auto("2020-10-01T21:26:05.007515+0000"), Some(1601587565007));
        assert_eq!(auto("2015-03-29T11:01:38.221126-0600"), Some(1427648498221));
        assert_eq!(auto("2024-02-19T16:46:29.441824Z"), Some(1708361189441));
        assert_eq!(auto("2024-02-19T17:46:29+01:00"), Some(1708361189000));
        assert_eq!(auto("2022-05-13T08:54:05.1230000Z"), Some(1652432045123));
        assert_eq!(auto("not a time"), None);
        assert_eq!(auto("2020-13-01 00:00:00"), None);
        // Days that the month does not have are not times (as chrono has it).
        assert_eq!(auto("2023-02-29 00:00:00"), None);
        assert_eq!(auto("2023-04-31T00:00:00Z"), None);
        assert_eq!(auto("2024-02-29 00:00:00"), Some(1709164800000));
        assert_eq!(auto("2000-02-29 00:00:00"), Some(951782400000));
        assert_eq!(auto("1900-02-29 00:00:00"), None);
    }

    #[test]
    fn epochs_and_formats() {
        assert_eq!(auto("1601587565"), Some(1601587565000));
        assert_eq!(auto("1601587565123"), Some(1601587565123));
        assert_eq!(
            parse_time_str("1601587565", &TimeFormat::EpochSeconds),
            Some(1601587565000)
        );
        let f = TimeFormat::from_spec(Some("%Y-%m-%d %H:%M:%S.%f")).unwrap();
        assert_eq!(
            parse_time_str("2023-10-03 23:50:22.438", &f),
            Some(1696377022438)
        );
        let f = TimeFormat::from_spec(Some("%d/%b/%Y:%H:%M:%S %z")).unwrap();
        assert_eq!(
            parse_time_str("10/Oct/2000:13:55:36 -0700", &f),
            Some(971211336000)
        );
        assert_eq!(event_day(1696377022438), "20231003");
        assert_eq!(auto("/Date(1709633702114)/"), Some(1709633702114));
        assert_eq!(auto("/Date(1709633702114+0100)/"), Some(1709633702114));
        assert_eq!(auto("/Date(-1000)/"), Some(-1000));
        assert_eq!(auto("/Date(17096x)/"), None);
        // Only times of years 0000 to 9999 are stored: their day names a partition.
        let f = TimeFormat::from_spec(Some("%Y-%m-%dT%H:%M:%SZ")).unwrap();
        assert_eq!(parse_time_str("-2021-03-16T20:20:00Z", &f), None);
        assert_eq!(parse_time_str("10000-01-01T00:00:00Z", &f), None);
        // An RFC 3339 layout wants four digits of year, as the fast path reads it.
        let alb = TimeFormat::from_spec(Some("%Y-%m-%dT%H:%M:%S.%fZ")).unwrap();
        assert_eq!(parse_time_str("209-10-11T15:01:50.492440Z", &alb), None);
        assert_eq!(
            parse_time_str("2024-03-05T10:20:00.100000Z", &alb),
            Some(1_709_634_000_100)
        );
        assert_eq!(
            parse_time_str("9999-12-31T23:59:59Z", &f),
            Some(LAST_MS - 999)
        );
        assert_eq!(event_day(LAST_MS), "99991231");
        assert_eq!(auto("0000-01-01T00:00:00Z"), Some(FIRST_MS));
        assert_eq!(event_day(FIRST_MS), "00000101");
        assert_eq!(parse_time_str("-1", &TimeFormat::EpochSeconds), Some(-1000));
        assert_eq!(
            parse_time_str("-99999999999", &TimeFormat::EpochSeconds),
            None
        );
        assert_eq!(auto("/Date(-99999999999999999)/"), None);
        assert_eq!(
            epoch_number_to_ms(crate::event::Node::F64(1e300)),
            None,
            "beyond year 9999"
        );
        assert_eq!(auto("/Date(1709633702114+01)/"), None);
    }

    #[test]
    fn epoch_fractions_are_cut_not_rounded() {
        use crate::event::Node;
        let secs = TimeFormat::EpochSeconds;
        // 23:59:59.9996 stays on its day (rounding made it the next day's first millisecond).
        assert_eq!(
            parse_time_str("1764633599.9996", &secs),
            Some(1_764_633_599_999)
        );
        assert_eq!(auto("1764633599.9996"), Some(1_764_633_599_999));
        assert_eq!(event_day(auto("1764633599.9996").unwrap()), "20251201");
        // Zeek's microseconds.
        assert_eq!(
            parse_time_str("1764583200.096535", &secs),
            Some(1_764_583_200_096)
        );
        assert_eq!(
            parse_time_str("1764583200.5", &secs),
            Some(1_764_583_200_500)
        );
        assert_eq!(
            parse_time_str("1764633599999.6", &TimeFormat::EpochMillis),
            Some(1_764_633_599_999)
        );
        // Nanoseconds beyond a float's 15 digits.
        assert_eq!(auto("1764633599999999999"), Some(1_764_633_599_999));
        assert_eq!(auto("1764633599999999"), Some(1_764_633_599_999));
        assert_eq!(
            epoch_number_to_ms(Node::U64(1_764_633_599_999_999_999)),
            Some(1_764_633_599_999)
        );
        assert_eq!(
            epoch_number_to_ms(Node::F64(1764633599.9996)),
            Some(1_764_633_599_999)
        );
        assert_eq!(
            epoch_number_to_ms(Node::U64(1_764_633_599)),
            Some(1_764_633_599_000)
        );
        assert_eq!(epoch_number_to_ms(Node::I64(-5)), None);
        // Before 1970, with a given unit, toward the past.
        assert_eq!(parse_time_str("-1.0005", &secs), Some(-1001));
        assert_eq!(parse_time_str("-1", &secs), Some(-1000));
        assert_eq!(parse_time_str("1.7e9", &secs), Some(1_700_000_000_000));
        assert_eq!(auto("-1"), None);
        assert_eq!(auto("."), None);
        assert_eq!(auto("1.2.3"), None);
    }

    #[test]
    fn strftime_years_have_four_digits() {
        let f = TimeFormat::from_spec(Some("%d/%b/%Y:%H:%M:%S %z")).unwrap();
        assert_eq!(
            parse_time_str("10/Oct/2000:13:55:36 -0700", &f),
            Some(971_211_336_000)
        );
        // A cut line: chrono alone reads year 200.
        assert_eq!(parse_time_str("10/Oct/200:13:55:36 -0700", &f), None);
        assert_eq!(parse_time_str("10/Oct/-2000:13:55:36 -0700", &f), None);
        // Within a composite specifier too.
        let f = TimeFormat::from_spec(Some("%F %T")).unwrap();
        assert_eq!(
            parse_time_str("2024-03-05 10:15:02", &f),
            Some(1_709_633_702_000)
        );
        assert_eq!(parse_time_str("224-03-05 10:15:02", &f), None);
        // `%y` is two digits, as ever.
        let f = TimeFormat::from_spec(Some("%m/%d/%y %H:%M")).unwrap();
        assert_eq!(
            parse_time_str("03/05/24 10:15", &f),
            Some(1_709_633_700_000)
        );
    }

    /// Python's `%f` is a fraction of one to six digits after any separator (log4j and
    /// Python logging write `,114`); nine digits are taken too.
    #[test]
    fn python_fractions_and_offsets() {
        let f = TimeFormat::from_spec(Some("%Y-%m-%d %H:%M:%S,%f")).unwrap();
        assert_eq!(
            parse_time_str("2024-03-05 10:15:02,114", &f),
            Some(1_709_633_702_114)
        );
        assert_eq!(
            parse_time_str("2024-03-05 10:15:02,1", &f),
            Some(1_709_633_702_100)
        );
        assert_eq!(
            parse_time_str("2024-03-05 10:15:02,114999999", &f),
            Some(1_709_633_702_114)
        );
        assert_eq!(parse_time_str("2024-03-05 10:15:02,", &f), None);
        let f = TimeFormat::from_spec(Some("%Y%m%d%H%M%S%f")).unwrap();
        assert_eq!(
            parse_time_str("20240305101502114000", &f),
            Some(1_709_633_702_114)
        );
        // `%.f` and `.%f` read the fraction with its dot; `%%f` is a literal `%f`.
        let f = TimeFormat::from_spec(Some("%H:%M:%S.%f %d/%m/%Y")).unwrap();
        assert_eq!(
            parse_time_str("10:15:02.5 05/03/2024", &f),
            Some(1_709_633_702_500)
        );
        // `%z` reads `Z` and hours alone too, as Python's does.
        let f = TimeFormat::from_spec(Some("%d/%m/%Y %H:%M:%S %z")).unwrap();
        for (text, ms) in [
            ("05/03/2024 10:15:02 Z", 1_709_633_702_000),
            ("05/03/2024 10:15:02 +0100", 1_709_630_102_000),
            ("05/03/2024 10:15:02 +01:00", 1_709_630_102_000),
            ("05/03/2024 10:15:02 -02", 1_709_640_902_000),
        ] {
            assert_eq!(parse_time_str(text, &f), Some(ms), "{text}");
        }
        assert_eq!(parse_time_str("05/03/2024 10:15:02 CET", &f), None);
        let f = TimeFormat::from_spec(Some("%Y-%m-%d %H:%M:%S %%f")).unwrap();
        assert_eq!(
            parse_time_str("2024-03-05 10:15:02 %f", &f),
            Some(1_709_633_702_000)
        );
    }

    #[test]
    fn a_date_alone_is_its_midnight() {
        let f = TimeFormat::from_spec(Some("%Y-%m-%d")).unwrap();
        assert_eq!(parse_time_str("2024-03-05", &f), Some(1_709_596_800_000));
        let f = TimeFormat::from_spec(Some("%d.%m.%Y")).unwrap();
        assert_eq!(parse_time_str("05.03.2024", &f), Some(1_709_596_800_000));
        // An hour without minutes is not completed: such a format is refused at load.
        assert!(TimeFormat::from_spec(Some("%Y-%m-%d %H")).is_err());
    }

    #[test]
    fn formats_that_cannot_read_a_time_are_refused_at_load() {
        let err = |spec: &str| TimeFormat::from_spec(Some(spec)).unwrap_err();
        assert!(
            err("%Y-%m-%d %Q").contains("is not a strftime format"),
            "{}",
            err("%Y-%m-%d %Q")
        );
        let e = err("%H:%M");
        assert!(
            e.contains("cannot read back a time it writes (`10:15`)"),
            "{e}"
        );
        let e = err("epoch_us");
        assert!(e.contains("none of auto, epoch, epoch_ms"), "{e}");
        for ok in [
            "%s",
            "%b %e %H:%M:%S",
            "%m/%d/%Y %I:%M:%S %p",
            "%a, %d %b %Y %H:%M:%S %z",
            "%Y-%m-%dT%H:%M:%S.%fZ",
            "%+",
        ] {
            assert!(TimeFormat::from_spec(Some(ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn iso_formats_take_the_fast_path_with_the_same_result() {
        for (spec, text) in [
            ("%Y-%m-%d %H:%M:%S.%f", "2024-03-05 10:15:02.114"),
            ("%Y-%m-%dT%H:%M:%S.%fZ", "2024-03-05T10:15:02.114000Z"),
        ] {
            let f = TimeFormat::from_spec(Some(spec)).unwrap();
            assert!(
                matches!(f, TimeFormat::Strftime { iso: true, .. }),
                "{spec}"
            );
            let TimeFormat::Strftime { items, .. } = &f else {
                unreachable!()
            };
            assert_eq!(
                parse_time_str(text, &f),
                parse_items(text, items).and_then(|p| to_ms(&p)),
                "{spec}"
            );
            assert_eq!(parse_time_str(text, &f), Some(1_709_633_702_114));
        }
        let f = TimeFormat::from_spec(Some("%d/%m/%Y %H:%M")).unwrap();
        assert!(matches!(f, TimeFormat::Strftime { iso: false, .. }));
        assert_eq!(
            parse_time_str("05/03/2024 10:15", &f),
            Some(1_709_633_700_000)
        );
    }
}
