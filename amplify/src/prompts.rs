//! The programme's journal prompts.

use crate::time::Date;

/// The four questions the programme keeps coming back to.
pub const CORE_PROMPTS: [&str; 4] = [
    "Who am I as a leader?",
    "What do I stand for?",
    "Why would anyone want to be led by me?",
    "What did I learn outside my comfort zone today?",
];

/// A prompt for each day, in turn, so that an open journal always has a fresh question.
pub const DAILY_PROMPTS: [&str; 14] = [
    "What did I learn outside my comfort zone today?",
    "When did I feel most like myself at work this week?",
    "What is the smallest possible test I could run on my idea?",
    "Whose view surprised me today, and what did it teach me?",
    "What do I stand for?",
    "Where did I hold back today, and why?",
    "What would I try if I knew it could not fail?",
    "Who am I as a leader?",
    "What feedback did I receive, and what will I do with it?",
    "What assumption of mine was challenged today?",
    "Why would anyone want to be led by me?",
    "Who in my home group could I help this week?",
    "What energised me today? What drained me?",
    "What will I do differently tomorrow?",
];

/// Today's prompt: the same for everyone on the same date.
pub fn prompt_of_the_day(date: Date) -> &'static str {
    let index = date.days().rem_euclid(DAILY_PROMPTS.len() as i64) as usize;
    DAILY_PROMPTS[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_daily_and_repeats_every_fortnight() {
        let day = Date { year: 2026, month: 11, day: 24 };
        let next = Date::from_days(day.days() + 1);
        let fortnight = Date::from_days(day.days() + 14);
        assert_ne!(prompt_of_the_day(day), prompt_of_the_day(next));
        assert_eq!(prompt_of_the_day(day), prompt_of_the_day(fortnight));
    }

    #[test]
    fn the_rotation_includes_every_core_prompt() {
        for core in CORE_PROMPTS {
            assert!(DAILY_PROMPTS.contains(&core), "{core} is missing from the rotation");
        }
    }
}
