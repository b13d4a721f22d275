//! A bounce in words: the plain-text reports of qmail, Exim, Exchange, Yahoo and others, read
//! for a status code and for the phrases servers use. Only trusted when the report arrived at
//! a valid VERP address (see [`super::proof`]); the phrase lists are data, one per line.

use mail_parser::Message;

use super::classify::Named;
use crate::audience::store::BounceKind;

/// A bounce in words, read: words of delay (the server will try again) make it temporary; a
/// permanent status code (`5.1.1`, or an SMTP reply such as `550`) or words that say the
/// message failed make it permanent; a message with neither is temporary, so one unclear
/// message never removes a reader.
pub(super) fn read_words(message: &Message<'_>) -> Named {
    let mut text = String::new();
    if let Some(subject) = message.subject() {
        text.push_str(subject);
        text.push('\n');
    }
    for index in 0..message.text_body.len().max(1) {
        if let Some(body) = message.body_text(index) {
            text.push_str(&body);
            text.push('\n');
        }
    }
    // The copy of the original a bounce may carry is not the server's words.
    for marker in [
        "--- Below this line is a copy of the message",
        "------ This is a copy of the message",
        "----- Original message -----",
        "Original message follows",
    ] {
        if let Some(at) = text.find(marker) {
            text.truncate(at);
        }
    }
    let lower = text.to_lowercase();
    let code = status_code(&lower);
    let words = lower
        .lines()
        .map(str::trim)
        .find(|line| {
            PERMANENT
                .iter()
                .chain(TEMPORARY.iter())
                .any(|p| line.contains(p))
                || status_code(line).is_some()
        })
        .map(|line| line.chars().take(300).collect::<String>());
    let temporary = TEMPORARY.iter().any(|p| lower.contains(p));
    let permanent = PERMANENT.iter().any(|p| lower.contains(p));
    // A server that still tries says so; one that gave up says it failed, whatever code
    // (often a 4.x.x of its last attempt) it quotes.
    let kind = match code.as_deref().and_then(|c| c.chars().next()) {
        _ if temporary => BounceKind::Soft,
        Some('5') => BounceKind::Hard,
        _ if permanent => BounceKind::Hard,
        _ => BounceKind::Soft,
    };
    Named {
        recipient: None,
        kind,
        code,
        words,
    }
}

/// Words of servers that say an address does not take mail.
const PERMANENT: &[&str] = &[
    "user unknown",
    "unknown user",
    "no such user",
    "no such mailbox",
    "no mailbox",
    "mailbox unavailable",
    "mailbox not found",
    "mailbox is disabled",
    "does not exist",
    "doesn't exist",
    "not exist",
    "unknown recipient",
    "recipient unknown",
    "invalid recipient",
    "invalid address",
    "address rejected",
    "recipient rejected",
    "account disabled",
    "account has been disabled",
    "account is disabled",
    "no longer valid",
    "not a valid",
    "unknown address",
    "bad destination",
    "host unknown",
    "unrouteable",
    "unroutable",
    "permanent error",
    "permanent failure",
    "permanently",
    "could not be delivered",
    "couldn't be delivered",
    "undeliverable",
    "delivery has failed",
    "delivery failed",
    "failed permanently",
    "message not delivered",
    "unable to deliver",
    "was not delivered",
    "not deliverable",
    "i'm afraid i wasn't able to deliver",
    "user not found",
    "address not found",
    "no recipients",
    "no valid recipients",
    "returned mail",
    "unknown host",
    "not able to deliver",
    "could not deliver",
    "couldn't deliver",
    "cannot be delivered",
    "can't be delivered",
    "failed to deliver",
    // A message returned for a full mailbox was returned: the sending server has given up on
    // it (a delay notice says so, and is temporary).
    "mailbox full",
    "mailbox is full",
    "over quota",
    "quota exceeded",
    "exceeding their quota",
    "exceeded storage",
    "recipients failed",
    "recipient failed",
    "failed mail",
    "delivery failure",
    "not going to try again",
    "in the queue too long",
    "was aborted",
    "did not exactly match",
    "user not known",
    // Sina and other Chinese providers: "cannot be sent", "cannot be delivered".
    "无法发送",
    "无法送达",
    "无法投递",
];

/// Words of servers that say delivery is only delayed.
const TEMPORARY: &[&str] = &[
    "has not yet been delivered",
    "not yet been delivered",
    "will continue to try",
    "will continue to be made",
    "continue to be attempted",
    "will retry",
    "will be retried",
    "still trying",
    "delayed",
    "delivery delay",
    "temporary failure",
    "temporarily",
    "warning: message",
    "this is only a warning",
];

/// The first status code in `lower`: an enhanced code (`5.1.1`) or an SMTP reply code (`550`)
/// followed by a space, a dash or a `#` (qmail writes `(#5.1.1)`).
pub(super) fn status_code(lower: &str) -> Option<String> {
    let bytes = lower.as_bytes();
    for at in 0..bytes.len() {
        let before_ok = at == 0 || !bytes[at - 1].is_ascii_alphanumeric() && bytes[at - 1] != b'.';
        if !before_ok || !matches!(bytes[at], b'4' | b'5') {
            continue;
        }
        // x.y.z
        let rest = &lower[at..];
        let mut parts = rest.splitn(3, '.');
        if let (Some(class), Some(subject), Some(detail)) =
            (parts.next(), parts.next(), parts.next())
            && class.len() == 1
            && (1..=3).contains(&subject.len())
            && subject.bytes().all(|b| b.is_ascii_digit())
        {
            let detail: String = detail.chars().take_while(char::is_ascii_digit).collect();
            if (1..=3).contains(&detail.len()) {
                return Some(format!("{class}.{subject}.{detail}"));
            }
        }
        // An SMTP reply code: three digits, then a space or a dash.
        if rest.len() >= 4
            && rest.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && matches!(rest.as_bytes()[3], b' ' | b'-')
            && matches!(&rest[..2], "55" | "45")
        {
            return Some(rest[..3].to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_code_is_an_enhanced_code_or_a_reply_code_and_nothing_like_one() {
        assert_eq!(status_code("said: 550 5.1.1 user"), Some("550".into()));
        assert_eq!(status_code("sorry (#5.1.1)"), Some("5.1.1".into()));
        assert_eq!(status_code("version 15.2.1 of"), None, "inside a number");
        assert_eq!(status_code("1.5.5.0"), None);
        assert_eq!(status_code("452-4.2.2 full"), Some("452".into()));
        assert_eq!(status_code("nothing here"), None);
    }
}
