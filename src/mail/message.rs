//! One subscriber's message, built without any I/O.
//!
//! The issue's email is rendered once per send (see [`Letter`]); each subscriber's copy only
//! swaps in their unsubscribe URL and name, escaped for the part they land in. Headers come
//! from validated values and lettre encodes them (RFC 2047 for non-ASCII), so neither a card
//! nor a subscriber list can add a header.

use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use crate::audience::list::Recipient;
use crate::audience::secret::Key;
use crate::content::config::Config;
use crate::content::markdown::escape_html;
use crate::mail::dkim::Signer;
use crate::publish::render::email::{
    FIRST_NAME_PLACEHOLDER, Letter, NAME_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, first_name,
};

/// A [`Letter`] with its four bodies quoted-printable encoded once for every message.
#[derive(Debug, Clone)]
pub struct EncodedLetter {
    /// The letter as rendered.
    pub letter: Letter,
    /// Named HTML, named text, anonymous HTML, anonymous text.
    encoded: [EncodedPart; 4],
}

impl EncodedLetter {
    /// Encodes the bodies of `letter`.
    pub fn new(letter: Letter) -> EncodedLetter {
        let encoded = [
            EncodedPart::new(&letter.named.0),
            EncodedPart::new(&letter.named.1),
            EncodedPart::new(&letter.anonymous.0),
            EncodedPart::new(&letter.anonymous.1),
        ];
        EncodedLetter { letter, encoded }
    }
}

/// A body, quoted-printable encoded once per issue, with slots for each subscriber's name and
/// unsubscribe URL. Encoding the whole HTML for every message was most of a send's CPU time;
/// filling the slots is a copy.
#[derive(Debug, Clone)]
struct EncodedPart {
    pieces: Vec<Piece>,
    /// The encoded length without the slots, to size each message's buffer once.
    static_len: usize,
}

#[derive(Debug, Clone)]
enum Piece {
    Encoded(Vec<u8>),
    Name,
    FirstName,
    Unsubscribe,
}

impl EncodedPart {
    fn new(body: &str) -> EncodedPart {
        let mut pieces = Vec::new();
        let mut rest = body;
        loop {
            let next = [
                (rest.find(NAME_PLACEHOLDER), NAME_PLACEHOLDER, Piece::Name),
                (
                    rest.find(FIRST_NAME_PLACEHOLDER),
                    FIRST_NAME_PLACEHOLDER,
                    Piece::FirstName,
                ),
                (
                    rest.find(UNSUBSCRIBE_PLACEHOLDER),
                    UNSUBSCRIBE_PLACEHOLDER,
                    Piece::Unsubscribe,
                ),
            ]
            .into_iter()
            .filter_map(|(at, marker, slot)| at.map(|at| (at, marker, slot)))
            .min_by_key(|(at, _, _)| *at);
            let Some((at, marker, slot)) = next else {
                break;
            };
            if at > 0 {
                pieces.push(Piece::Encoded(encode_piece(&rest[..at])));
            }
            pieces.push(slot);
            rest = &rest[at + marker.len()..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Encoded(encode_piece(rest)));
        }
        let static_len = pieces
            .iter()
            .map(|p| match p {
                Piece::Encoded(bytes) => bytes.len(),
                _ => 0,
            })
            .sum();
        EncodedPart { pieces, static_len }
    }

    /// The encoded body with `name`, `first` and `unsubscribe` (already escaped for the
    /// part) in place.
    fn fill(&self, name: &str, first: &str, unsubscribe: &str) -> Vec<u8> {
        let name = encode_piece(name);
        let first = encode_piece(first);
        let unsubscribe = encode_piece(unsubscribe);
        let mut out = Vec::with_capacity(
            self.static_len + 4 * (name.len() + first.len() + unsubscribe.len()),
        );
        for piece in &self.pieces {
            out.extend_from_slice(match piece {
                Piece::Encoded(bytes) => bytes,
                Piece::Name => &name,
                Piece::FirstName => &first,
                Piece::Unsubscribe => &unsubscribe,
            });
        }
        out
    }
}

/// `text` with CRLF line breaks, quoted-printable encoded, ending at the start of a line: the
/// soft break added after a piece that ends mid-line decodes to nothing, so encoded pieces
/// can be joined in any order and stay valid, their lines under 76 characters.
fn encode_piece(text: &str) -> Vec<u8> {
    let mut crlf = String::with_capacity(text.len() + text.len() / 32);
    let mut previous = '\0';
    for c in text.chars() {
        if c == '\n' && previous != '\r' {
            crlf.push('\r');
        }
        crlf.push(c);
        previous = c;
    }
    let mut encoded = quoted_printable::encode(crlf.as_bytes());
    if !encoded.is_empty() && !encoded.ends_with(b"\r\n") {
        encoded.extend_from_slice(b"=\r\n");
    }
    encoded
}

/// Sender-side settings every message shares.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// From.
    pub from: Mailbox,
    /// Reply-To.
    pub reply_to: Option<Mailbox>,
    /// The List-Id value, without brackets.
    pub list_id: String,
    /// The newsletter's name, for the List-Id phrase.
    pub list_name: String,
    /// Unsubscribe URL template with `{token}` (and optionally `{email}`); a send checks
    /// that there is one before it builds a message.
    pub unsubscribe_url: Option<String>,
    /// Address for mailto unsubscribes.
    pub unsubscribe_mailto: Option<String>,
    /// Secret keying the unsubscribe tokens.
    pub secret: Key,
    /// The domain of Message-IDs: the sender's.
    pub message_id_domain: String,
    /// `audience.bounce_address`: each message's envelope sender is a VERP address on it.
    pub bounce_address: Option<Address>,
    /// Whether the unsubscribe URL is `listen`'s own, which also counts the issue a reader
    /// left from (another tool's link is left as configured).
    pub own_unsubscribe: bool,
}

macro_rules! raw_header {
    ($type:ident, $name:literal) => {
        #[doc = concat!("The `", $name, "` header, written as given.")]
        #[derive(Debug, Clone)]
        pub struct $type(pub String);

        impl Header for $type {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($type(s.to_owned()))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

raw_header!(ListId, "List-Id");
raw_header!(ListUnsubscribe, "List-Unsubscribe");
raw_header!(ListUnsubscribePost, "List-Unsubscribe-Post");

use crate::audience::token::unsubscribe as token;

/// Everything but RFC 3986's unreserved characters, which a URL query value may hold as they
/// are.
pub const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` percent-encoded for a URL's query ([`QUERY_VALUE`]).
pub fn query_value(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}

impl Envelope {
    /// The sender-side settings of `config`'s messages, their links keyed with `secret`.
    pub fn new(config: &Config, secret: Key) -> Envelope {
        Envelope {
            message_id_domain: config.from.email.domain().to_owned(),
            from: config.from.clone(),
            reply_to: config.reply_to.clone(),
            list_id: config.list_id.clone(),
            list_name: config.title.clone(),
            unsubscribe_url: config.unsubscribe_url.clone(),
            unsubscribe_mailto: config.unsubscribe_mailto.clone(),
            secret,
            bounce_address: config.list.bounce_address.clone(),
            own_unsubscribe: config.list.url.is_some(),
        }
    }

    /// The unsubscribe URL of `email` (empty without an unsubscribe URL), in a message of
    /// issue `week` (none in a confirmation or a welcome): `listen`'s link then carries the
    /// issue, signed, so the report can say how many left after it.
    pub fn unsubscribe_url(&self, email: &str, week: Option<&str>) -> String {
        let mut url = self.unsubscribe_url_of(email);
        if let (true, Some(week), false) = (self.own_unsubscribe, week, url.is_empty()) {
            let check = crate::audience::token::unsubscribe_issue(
                self.secret.as_bytes(),
                email,
                &self.list_id,
                week,
            );
            url.push_str(&format!("&i={}.{check}", query_value(week)));
        }
        url
    }

    fn unsubscribe_url_of(&self, email: &str) -> String {
        self.unsubscribe_url
            .as_deref()
            .unwrap_or_default()
            .replace(
                "{ref}",
                &crate::audience::token::unsubscribe_ref(
                    self.secret.as_bytes(),
                    email,
                    &self.list_id,
                ),
            )
            .replace(
                "{token}",
                &token(self.secret.as_bytes(), email, &self.list_id),
            )
            .replace("{email}", &query_value(email))
    }

    /// The envelope sender (MAIL FROM) of `email`'s copy of issue `week`: a VERP address on
    /// the bounce mailbox (`bounces+<token>@domain`), so a bounce names its recipient;
    /// `None` without a bounce mailbox (the From address is used).
    pub fn return_path(&self, week: &str, email: &str) -> Option<Address> {
        let bounce = self.bounce_address.as_ref()?;
        let week: String = week
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let token =
            crate::audience::token::verp(self.secret.as_bytes(), email, &self.list_id, &week);
        Address::new(format!("{}+{token}", bounce.user()), bounce.domain()).ok()
    }

    /// A Message-ID on the sender's domain, the same for one newsletter, issue and recipient
    /// every time, so that a message sent again after a crash (when nobody knows whether the
    /// server had it) can be recognised as a duplicate. `round` tells apart the deliberate
    /// re-sends of `--resend`.
    pub fn message_id(&self, week: &str, email: &str, round: Option<u64>) -> String {
        crate::audience::token::message_id(
            self.secret.as_bytes(),
            (email, &self.list_id),
            week,
            round,
            &self.message_id_domain,
        )
    }
}

/// The name and first name of a reader who has both; a name with no first name in it (only
/// a comma, say) is read as none.
fn named(recipient: &Recipient) -> Option<(&str, &str)> {
    let name = recipient.name.as_deref()?;
    let first = first_name(name);
    (!first.is_empty()).then_some((name, first))
}

/// The HTML and text of `recipient`'s copy: their name and unsubscribe URL in place,
/// escaped for each part.
pub fn personalise(
    letter: &Letter,
    envelope: &Envelope,
    recipient: &Recipient,
) -> (String, String) {
    let unsubscribe = envelope.unsubscribe_url(&recipient.email, Some(&letter.week));
    let (html, text) = match named(recipient) {
        Some((name, first)) => (
            letter
                .named
                .0
                .replace(NAME_PLACEHOLDER, &escape_html(name))
                .replace(FIRST_NAME_PLACEHOLDER, &escape_html(first)),
            letter
                .named
                .1
                .replace(NAME_PLACEHOLDER, name)
                .replace(FIRST_NAME_PLACEHOLDER, first),
        ),
        None => letter.anonymous.clone(),
    };
    (
        html.replace(UNSUBSCRIBE_PLACEHOLDER, &escape_html(&unsubscribe)),
        text.replace(UNSUBSCRIBE_PLACEHOLDER, &unsubscribe),
    )
}

/// Builds `recipient`'s copy of `letter`.
///
/// # Errors
///
/// A message when the address or a header cannot be used.
pub fn build_message(
    encoded: &EncodedLetter,
    envelope: &Envelope,
    recipient: &Recipient,
    message_id: &str,
) -> Result<Message, String> {
    let (builder, to) = addressed(envelope, recipient, &encoded.letter.subject, message_id)?;
    let unsubscribe = envelope.unsubscribe_url(&recipient.email, Some(&encoded.letter.week));
    let [named_html, named_text, anonymous_html, anonymous_text] = &encoded.encoded;
    let (html_part, text_part, (name, first)) = match named(recipient) {
        Some(names) => (named_html, named_text, names),
        None => (anonymous_html, anonymous_text, ("", "")),
    };
    let html = Body::dangerous_pre_encoded(
        html_part.fill(
            &escape_html(name),
            &escape_html(first),
            &escape_html(&unsubscribe),
        ),
        ContentTransferEncoding::QuotedPrintable,
    );
    let text = Body::dangerous_pre_encoded(
        text_part.fill(name, first, &unsubscribe),
        ContentTransferEncoding::QuotedPrintable,
    );
    let mut builder = list_headers(builder, envelope, &unsubscribe);
    if let Some(sender) = envelope.return_path(&encoded.letter.week, &recipient.email) {
        let smtp_envelope = lettre::address::Envelope::new(Some(sender), vec![to.email.clone()])
            .map_err(|e| e.to_string())?;
        builder = builder.envelope(smtp_envelope);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(|e| e.to_string())
}

/// The headers of a message to a subscriber: List-Id, and List-Unsubscribe with RFC 8058's
/// one-click POST to `unsubscribe` (and the mailto address, if there is one).
fn list_headers(
    builder: lettre::message::MessageBuilder,
    envelope: &Envelope,
    unsubscribe: &str,
) -> lettre::message::MessageBuilder {
    let mut list_unsubscribe = format!("<{unsubscribe}>");
    if let Some(mailto) = &envelope.unsubscribe_mailto {
        list_unsubscribe.push_str(&format!(", <mailto:{mailto}?subject=unsubscribe>"));
    }
    builder
        .header(ListId(format!(
            "\"{}\" <{}>",
            envelope.list_name.replace(['"', '\\'], ""),
            envelope.list_id
        )))
        .header(ListUnsubscribe(list_unsubscribe))
        .header(ListUnsubscribePost("List-Unsubscribe=One-Click".to_owned()))
}

/// A message to one reader that is not an issue (the confirmation request, the welcome): its
/// subject and its two parts, rendered for that reader.
#[derive(Debug, Clone)]
pub struct Notice {
    /// What it is, in the VERP token where an issue has its week: `confirm`, `welcome`.
    pub kind: &'static str,
    /// Whether it goes to a subscriber, with the list's headers (List-Id, one-click
    /// List-Unsubscribe); a confirmation request goes to someone who is not one yet.
    pub to_subscriber: bool,
    /// The subject.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// Builds `notice` for `recipient`, with the headers every message of the newsletter has.
///
/// # Errors
///
/// A message when the address or a header cannot be used.
pub fn build_notice(
    envelope: &Envelope,
    recipient: &Recipient,
    notice: Notice,
    message_id: &str,
) -> Result<Message, String> {
    let (mut builder, to) = addressed(envelope, recipient, &notice.subject, message_id)?;
    if notice.to_subscriber {
        builder = list_headers(
            builder,
            envelope,
            &envelope.unsubscribe_url(&recipient.email, None),
        );
    }
    // From the reader's VERP address too, like an issue: a notice that bounces names its
    // reader with proof (its kind where an issue has its week).
    if let Some(sender) = envelope.return_path(notice.kind, &recipient.email) {
        let smtp_envelope = lettre::address::Envelope::new(Some(sender), vec![to.email.clone()])
            .map_err(|e| e.to_string())?;
        builder = builder.envelope(smtp_envelope);
    }
    // Quoted-printable, like an issue's parts: 7-bit safe for any relay, and what filters
    // expect of a list's mail (SpamAssassin scores a hidden preheader in one that is not).
    let part = |kind: ContentType, text: String| {
        Body::new_with_encoding(text, ContentTransferEncoding::QuotedPrintable)
            .map(|body| SinglePart::builder().header(kind).body(body))
            .map_err(|_| "a part cannot be quoted-printable encoded".to_owned())
    };
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, notice.text)?)
                .singlepart(part(ContentType::TEXT_HTML, notice.html)?),
        )
        .map_err(|e| e.to_string())
}

/// `email` as it goes on the wire: the domain in its IDNA (punycode) form, which every relay
/// accepts, `jose@bücher.de` as `jose@xn--bcher-kva.de`. (A local part that is not ASCII
/// stays as it is, and needs a relay that offers SMTPUTF8.)
///
/// # Errors
///
/// The sentence to report when `email` is not an address.
pub fn wire_address(email: &str) -> Result<Address, String> {
    let refused = || format!("`{email}` is not an email address");
    let (local, domain) = email.rsplit_once('@').ok_or_else(refused)?;
    let domain = idna::domain_to_ascii(domain).map_err(|_| refused())?;
    format!("{local}@{domain}").parse().map_err(|_| refused())
}

/// The headers every message has (From, To, Subject, Date, Message-ID, Reply-To), and the
/// recipient's mailbox.
fn addressed(
    envelope: &Envelope,
    recipient: &Recipient,
    subject: &str,
    message_id: &str,
) -> Result<(lettre::message::MessageBuilder, Mailbox), String> {
    let address = wire_address(&recipient.email)?;
    // lettre panics formatting a display name with a line break; lists are checked for this
    // already, and this keeps any other caller from reaching it.
    if recipient
        .name
        .as_deref()
        .is_some_and(|n| n.chars().any(char::is_control))
    {
        return Err(format!(
            "the name of `{}` contains a line break or control character",
            recipient.email
        ));
    }
    // Validation refuses such subjects; this keeps any other caller from sending one that
    // would not read as written.
    if let Some((problem, _)) = crate::content::fields::subject_problem(subject) {
        return Err(format!("the subject {problem}"));
    }
    let to = Mailbox::new(recipient.name.clone(), address);
    let mut builder = Message::builder()
        .from(envelope.from.clone())
        .to(to.clone())
        .subject(subject)
        .date_now()
        .message_id(Some(message_id.to_owned()));
    if let Some(reply_to) = &envelope.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    Ok((builder, to))
}

/// A message ready for a transport: who it goes to and from (the SMTP envelope), and its
/// bytes as they are sent, signed.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// MAIL FROM and RCPT TO.
    pub envelope: lettre::address::Envelope,
    /// The message as sent.
    pub bytes: Vec<u8>,
}

impl Outgoing {
    /// `message` written out and, with `dkim`, signed.
    ///
    /// # Errors
    ///
    /// The signer's message when it cannot sign.
    pub fn seal(message: &Message, dkim: Option<&Signer>) -> Result<Outgoing, String> {
        let bytes = message.formatted();
        let bytes = match dkim {
            Some(signer) => signer.sign(&bytes)?,
            None => bytes,
        };
        Ok(Outgoing {
            envelope: message.envelope().clone(),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            from: "vff Briefing <briefing@example.org>".parse().unwrap(),
            reply_to: Some("editor@example.org".parse().unwrap()),
            list_id: "vff-briefing.example.org".into(),
            list_name: "vff Briefing".into(),
            unsubscribe_url: Some("https://example.org/unsubscribe?token={token}&e={email}".into()),
            unsubscribe_mailto: Some("unsubscribe@example.org".into()),
            secret: Key::new(b"secret".to_vec()),
            message_id_domain: "example.org".into(),
            bounce_address: None,
            own_unsubscribe: false,
        }
    }

    fn letter() -> EncodedLetter {
        let html = format!(
            "<p>Hi {NAME_PLACEHOLDER},</p><a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">Unsubscribe</a>"
        );
        let text = format!("Hi {NAME_PLACEHOLDER},\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}");
        EncodedLetter::new(Letter {
            subject: "Ex-Qwen lead's lab — $2B «valuation»".into(),
            week: "2026-W25".into(),
            named: (html, text),
            anonymous: (
                format!("<a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">Unsubscribe</a>"),
                format!("Unsubscribe: {UNSUBSCRIBE_PLACEHOLDER}"),
            ),
        })
    }

    #[test]
    fn tokens_are_one_per_address_as_mail_systems_compare_it() {
        let token = |email: &str| token(b"secret", email, "list.example.org");
        assert_eq!(token("ann@bücher.de"), token("ANN@xn--bcher-kva.de"));
        assert_ne!(token("ann@bücher.de"), token("ann@bucher.de"));
    }

    #[test]
    fn tokens_are_hmac_sha256_of_address_and_list() {
        use hmac::Mac as _;
        // Known answer: HMAC-SHA256(key "secret", "ann@example.org\nvff-briefing.example.org").
        let t = token(b"secret", "Ann@Example.org", "vff-briefing.example.org");
        assert_eq!(t.len(), 64);
        assert_eq!(
            t,
            token(b"secret", "ann@example.org", "vff-briefing.example.org")
        );
        assert_ne!(
            t,
            token(b"other", "ann@example.org", "vff-briefing.example.org")
        );
        assert_ne!(t, token(b"secret", "ann@example.org", "other.example.org"));
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"ann@example.org\nvff-briefing.example.org");
        mac.verify_slice(
            &(0..32)
                .map(|i| u8::from_str_radix(&t[i * 2..i * 2 + 2], 16).unwrap())
                .collect::<Vec<_>>(),
        )
        .expect("an endpoint holding the secret verifies the token");
    }

    #[test]
    fn builds_a_personalised_standards_compliant_message() {
        let recipient = Recipient {
            email: "ann@example.com".into(),
            name: Some("Ann <\"O'Neil\">".into()),
        };
        let envelope = envelope();
        let id = envelope.message_id("2026-W25", &recipient.email, None);
        assert_eq!(id, envelope.message_id("2026-W25", "ANN@example.com", None));
        assert_ne!(id, envelope.message_id("2026-W26", &recipient.email, None));
        assert_ne!(id, envelope.message_id("2026-W25", "bob@example.com", None));
        assert_ne!(
            id,
            envelope.message_id("2026-W25", &recipient.email, Some(7))
        );
        let message = build_message(&letter(), &envelope, &recipient, &id).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(
            raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
            "{raw}"
        );
        assert!(raw.contains("List-Id: \"vff Briefing\" <vff-briefing.example.org>\r\n"));
        assert!(raw.contains(&format!("Message-ID: {id}\r\n")));
        assert!(id.ends_with("@example.org>"));
        let subject = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(
            subject.contains("=?utf-8?b?"),
            "non-ASCII subjects are encoded: {subject}"
        );
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(headers.is_ascii(), "every header is ASCII on the wire");
        // Long headers are folded (RFC 5322); compare unfolded.
        let unfolded = headers.replace("\r\n ", " ");
        let url = envelope.unsubscribe_url("ann@example.com", Some("2026-W25"));
        assert!(
            unfolded.contains(&format!(
                "List-Unsubscribe: <{url}>, <mailto:unsubscribe@example.org?subject=unsubscribe>"
            )),
            "{unfolded}"
        );
        let text_at = raw.find("Content-Type: text/plain").unwrap();
        let html_at = raw.find("Content-Type: text/html").unwrap();
        assert!(text_at < html_at, "the text part comes first");
        assert!(raw.contains("multipart/alternative"));
    }

    #[test]
    fn bodies_encoded_once_decode_to_each_subscribers_copy() {
        // Long lines, a slot right after trailing spaces, `=` signs, non-ASCII text, lines
        // that start with a dot, and slots at the very start and end.
        let long = "Ünïcödé — «quotes» = signs & <tags> ".repeat(12);
        let html = format!(
            "{NAME_PLACEHOLDER}<p>{long}</p>\n<p>Hi {NAME_PLACEHOLDER},   \n.dot line\n</p>\
             <a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">x</a>{long}{UNSUBSCRIBE_PLACEHOLDER}"
        );
        let text = format!(
            "Hi {NAME_PLACEHOLDER},\n{long}\n.NET ships\n   \nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}"
        );
        let letter = EncodedLetter::new(Letter {
            subject: "Subject".into(),
            week: "2026-W25".into(),
            named: (html.clone(), text.clone()),
            anonymous: (
                html.replace(NAME_PLACEHOLDER, ""),
                text.replace(NAME_PLACEHOLDER, ""),
            ),
        });
        let envelope = envelope();
        for name in [Some("Zoë <\"Ö'Brien\"> = 100%"), Some("Ann"), None] {
            let recipient = Recipient {
                email: "zoe@example.com".into(),
                name: name.map(str::to_owned),
            };
            let message =
                build_message(&letter, &envelope, &recipient, "<id@example.org>").unwrap();
            let raw = message.formatted();
            let body = raw
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|at| &raw[at + 4..])
                .unwrap();
            for line in body.split(|b| *b == b'\n') {
                assert!(line.len() <= 77, "a line of {} bytes", line.len());
                assert!(line.is_ascii(), "the body is 7-bit on the wire");
            }
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let (want_html, want_text) = personalise(&letter.letter, &envelope, &recipient);
            let crlf = |s: &str| s.replace('\n', "\r\n");
            assert_eq!(parsed.body_html(0).unwrap(), crlf(&want_html));
            assert_eq!(parsed.body_text(0).unwrap(), crlf(&want_text));
        }
    }

    // Regression: a 5,000-character subject was one 5,009-byte header line, and a
    // subject that looked like an encoded word was passed through unencoded. Those are refused
    // (at `check`, and here); every other subject is folded and reads back as written.
    #[test]
    fn long_subjects_are_folded_and_read_back_as_written() {
        let envelope = envelope();
        let recipient = Recipient {
            email: "ann@example.com".into(),
            name: None,
        };
        for subject in [
            "x".repeat(5000),
            "=?utf-8?q?not_an_encoded_word?=".to_owned(),
        ] {
            let mut letter = letter();
            letter.letter.subject = subject.clone();
            let refused = build_message(&letter, &envelope, &recipient, "<x@example.org>");
            assert!(
                refused.unwrap_err().starts_with("the subject "),
                "{subject:.40}"
            );
        }
        for subject in [
            format!("{} and then some", "word ".repeat(400)),
            "Ünïcödé ".repeat(200),
            format!("{} end", "ü".repeat(300)),
        ] {
            let mut letter = letter();
            letter.letter.subject = subject.clone();
            let message = build_message(&letter, &envelope, &recipient, "<x@example.org>").unwrap();
            let raw = message.formatted();
            let head = &raw[..raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap()];
            // Every line within RFC 5322's 998; the subject's folded to the 78 it recommends
            // (a URL in List-Unsubscribe cannot be folded, and need not be).
            let text = String::from_utf8_lossy(head).into_owned();
            let mut in_subject = false;
            for line in text.split("\r\n") {
                assert!(line.len() <= 998, "a header line of {} bytes", line.len());
                if !line.starts_with([' ', '\t']) {
                    in_subject = line.starts_with("Subject:");
                }
                if in_subject {
                    assert!(
                        line.len() <= 78,
                        "a subject line of {} bytes: {line}",
                        line.len()
                    );
                }
            }
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            assert_eq!(parsed.subject(), Some(subject.trim_end()), "{subject:.40}");
        }
    }

    #[test]
    fn names_cannot_inject_headers() {
        let recipient = Recipient {
            email: "eve@example.com".into(),
            name: Some("Eve\r\nBcc: victim@example.com".into()),
        };
        let refused = build_message(&letter(), &envelope(), &recipient, "<x@example.org>");
        assert_eq!(
            refused.unwrap_err(),
            "the name of `eve@example.com` contains a line break or control character"
        );
    }
}
