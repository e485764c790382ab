//! Moments and calendar dates, without a clock: the caller says what time it is.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A point in time as the writer lived it: UTC milliseconds plus the writer's UTC offset.
///
/// The offset matters for a journal kept while travelling: an entry written at 23:30 in Tokyo
/// belongs to that Tokyo day, wherever it is read later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Moment {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub utc_ms: i64,
    /// Minutes east of UTC (Tokyo is +540, New York in winter -300).
    pub offset_min: i32,
}

impl Moment {
    pub fn new(utc_ms: i64, offset_min: i32) -> Moment {
        Moment { utc_ms, offset_min }
    }

    /// The calendar date where and when this moment was lived.
    pub fn local_date(self) -> Date {
        Date::from_days(self.local_ms().div_euclid(MS_PER_DAY))
    }

    /// Hours and minutes on the local clock.
    pub fn local_time(self) -> (u8, u8) {
        let ms_of_day = self.local_ms().rem_euclid(MS_PER_DAY);
        let minutes = ms_of_day / 60_000;
        ((minutes / 60) as u8, (minutes % 60) as u8)
    }

    fn local_ms(self) -> i64 {
        self.utc_ms + i64::from(self.offset_min) * 60_000
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// A day in the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl Date {
    pub fn month(self) -> Month {
        Month { year: self.year, month: self.month }
    }

    /// Reads what `Display` wrote: `2026-12-02`. `None` for anything else, or a day the month
    /// does not have.
    pub fn parse(s: &str) -> Option<Date> {
        let (month, day) = s.rsplit_once('-')?;
        let month = Month::parse(month)?;
        let date = Date { year: month.year, month: month.month, day: day.parse().ok()? };
        (day.len() == 2 && date.day >= 1 && Date::from_days(date.days()) == date).then_some(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A calendar month: how a journal is split into volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

impl Month {
    /// Reads what `Display` wrote: `2026-11`.
    pub fn parse(s: &str) -> Option<Month> {
        let (year, month) = s.split_once('-')?;
        let ok = year.len() == 4 && month.len() == 2;
        let month = Month { year: year.parse().ok()?, month: month.parse().ok()? };
        (ok && (1..=12).contains(&month.month)).then_some(month)
    }

    /// The first day of the month.
    pub fn first_day(self) -> Date {
        Date { year: self.year, month: self.month, day: 1 }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_416).to_string(), "2025-11-24");
        assert_eq!(Date::from_days(-1).to_string(), "1969-12-31");
        assert_eq!(Date { year: 2024, month: 2, day: 29 }.days(), 19_782);
    }

    #[test]
    fn the_writer_s_offset_decides_the_day() {
        // 2026-11-24T15:30Z is already the 25th in Tokyo and still the 24th in New York.
        let utc_ms =
            Date { year: 2026, month: 11, day: 24 }.days() * MS_PER_DAY + 15 * 3_600_000 + 30 * 60_000;
        assert_eq!(Moment::new(utc_ms, 540).local_date().to_string(), "2026-11-25");
        assert_eq!(Moment::new(utc_ms, 540).local_time(), (0, 30));
        assert_eq!(Moment::new(utc_ms, -300).local_date().to_string(), "2026-11-24");
        assert_eq!(Moment::new(utc_ms, -300).local_time(), (10, 30));
    }

    #[test]
    fn months_print_and_parse() {
        let month = Date { year: 2026, month: 3, day: 9 }.month();
        assert_eq!(month.to_string(), "2026-03");
        assert_eq!(Month::parse("2026-03"), Some(month));
        for bad in ["2026-13", "2026-3", "26-03", "2026/03", ""] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_print_and_parse() {
        let date = Date { year: 2026, month: 12, day: 2 };
        assert_eq!(Date::parse(&date.to_string()), Some(date));
        for bad in ["2026-02-30", "2026-12-2", "2026-12-00", "2026-13-01", "2026-12", ""] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -1_000_000i64..1_000_000) {
            prop_assert_eq!(Date::from_days(days).days(), days);
        }
    }
}
