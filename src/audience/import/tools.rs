//! The exports `subscribers import` recognises, as data: each tool's header row, columns,
//! status vocabulary and consent record. Where each line comes from is in `docs/import.md`;
//! the tables are meant to read alike, one tool after another.

use crate::audience::Status;

/// The tools whose exports `subscribers import` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Mailchimp's audience export (subscribed, unsubscribed, cleaned files).
    Mailchimp,
    /// Buttondown's subscribers export, or its unsubscribers export.
    Buttondown,
    /// Substack's subscriber export.
    Substack,
    /// Ghost's members export.
    Ghost,
    /// listmonk's subscribers export.
    Listmonk,
    /// Kit (formerly ConvertKit).
    Kit,
    /// beehiiv's subscribers export.
    Beehiiv,
    /// MailerLite's subscribers export.
    MailerLite,
    /// `briefing subscribers export`, or any list with `email` and optional `name`, `status`.
    Briefing,
}

impl Tool {
    /// The tool's name as its users write it.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Mailchimp => "Mailchimp",
            Tool::Buttondown => "Buttondown",
            Tool::Substack => "Substack",
            Tool::Ghost => "Ghost",
            Tool::Listmonk => "listmonk",
            Tool::Kit => "Kit",
            Tool::Beehiiv => "beehiiv",
            Tool::MailerLite => "MailerLite",
            Tool::Briefing => "briefing",
        }
    }
}

/// A tool's export: how to recognise it and how to read it. Column names are compared
/// without regard to case; each list holds the names one column goes by, first match wins.
pub(super) struct Spec {
    pub(super) tool: Tool,
    /// Every group must name a column of the header row for a file to be taken for this
    /// tool's (a group matches when any of its names does).
    pub(super) signature: &'static [&'static [&'static str]],
    pub(super) email: &'static [&'static str],
    pub(super) name: &'static [&'static str],
    pub(super) last_name: &'static [&'static str],
    pub(super) status: &'static [&'static str],
    /// The status column's values (compared lower-case, spaces and hyphens as `_`).
    pub(super) vocabulary: &'static [(&'static str, Status)],
    /// Columns whose presence makes the file a kind of its own, all of one status (Mailchimp
    /// writes its unsubscribed and cleaned readers to files of their own).
    pub(super) kinds: &'static [(&'static str, Status, &'static str)],
    /// What a file with no status column and no kind column holds: `None` when the tool's
    /// export cannot say, so the publisher must (`--status`).
    pub(super) whole_file: Option<(Status, &'static str)>,
    /// Columns that, filled in, put the row out whatever its status says.
    pub(super) out_when_set: &'static [(&'static str, Status)],
    /// The consent record: a label, the columns of its time, the columns of its IP address.
    pub(super) consent: &'static [Evidence],
}

pub(super) struct Evidence {
    pub(super) label: &'static str,
    pub(super) time: &'static [&'static str],
    pub(super) ip: &'static [&'static str],
}

/// The exports recognised, most specific first (the last takes any file with an `email`
/// column). Sources for each line: `docs/import.md`.
pub(super) const SPECS: &[Spec] = &[
    Spec {
        tool: Tool::Mailchimp,
        signature: &[
            &["email address"],
            &["optin_time", "member_rating", "leid", "euid"],
        ],
        email: &["email address"],
        name: &["first name"],
        last_name: &["last name"],
        status: &[],
        vocabulary: &[],
        kinds: &[
            ("clean_time", Status::Bounced, "cleaned export"),
            ("unsub_time", Status::Unsubscribed, "unsubscribed export"),
        ],
        whole_file: Some((Status::Active, "subscribed export")),
        out_when_set: &[],
        consent: &[
            Evidence {
                label: "opted in",
                time: &["optin_time"],
                ip: &["optin_ip"],
            },
            Evidence {
                label: "confirmed",
                time: &["confirm_time"],
                ip: &["confirm_ip"],
            },
            Evidence {
                label: "unsubscribed",
                time: &["unsub_time"],
                ip: &[],
            },
            Evidence {
                label: "cleaned",
                time: &["clean_time"],
                ip: &[],
            },
        ],
    },
    Spec {
        tool: Tool::Buttondown,
        signature: &[
            &["email", "email_address"],
            &["unsubscription_date", "unsubscription_reason"],
        ],
        email: &["email", "email_address"],
        name: &[],
        last_name: &[],
        status: &[],
        vocabulary: &[],
        kinds: &[],
        whole_file: Some((Status::Unsubscribed, "unsubscribers export")),
        out_when_set: &[],
        consent: &[
            Evidence {
                label: "subscribed",
                time: &["creation_date", "subscriber_creation_date"],
                ip: &[],
            },
            Evidence {
                label: "unsubscribed",
                time: &["unsubscription_date"],
                ip: &[],
            },
        ],
    },
    Spec {
        tool: Tool::Buttondown,
        signature: &[
            &["email", "email_address"],
            &["secondary_id", "subscriber_type"],
        ],
        email: &["email", "email_address"],
        name: &[],
        last_name: &[],
        status: &["subscriber_type", "type"],
        vocabulary: &[
            ("regular", Status::Active),
            ("premium", Status::Active),
            ("trialed", Status::Active),
            ("unpaid", Status::Active),
            ("gifted", Status::Active),
            ("churning", Status::Active),
            ("paused", Status::Active),
            ("past_due", Status::Active),
            ("unactivated", Status::Pending),
            ("unsubscribed", Status::Unsubscribed),
            ("removed", Status::Unsubscribed),
            ("spammy", Status::Unsubscribed),
        ],
        kinds: &[],
        whole_file: None,
        out_when_set: &[],
        consent: &[Evidence {
            label: "subscribed",
            time: &["creation_date", "created_at"],
            ip: &["ip_address"],
        }],
    },
    Spec {
        tool: Tool::Substack,
        signature: &[&["email"], &["email_disabled"]],
        email: &["email"],
        name: &["name"],
        last_name: &[],
        status: &["email_disabled"],
        vocabulary: &[("false", Status::Active), ("true", Status::Unsubscribed)],
        kinds: &[],
        whole_file: None,
        out_when_set: &[],
        consent: &[Evidence {
            label: "subscribed",
            time: &["created_at"],
            ip: &[],
        }],
    },
    Spec {
        tool: Tool::Ghost,
        signature: &[&["email"], &["subscribed_to_emails"]],
        email: &["email"],
        name: &["name"],
        last_name: &[],
        status: &["subscribed_to_emails"],
        vocabulary: &[("true", Status::Active), ("false", Status::Unsubscribed)],
        kinds: &[],
        whole_file: None,
        out_when_set: &[("deleted_at", Status::Unsubscribed)],
        consent: &[Evidence {
            label: "joined",
            time: &["created_at"],
            ip: &[],
        }],
    },
    Spec {
        tool: Tool::Listmonk,
        signature: &[
            &["uuid"],
            &["email"],
            &["status"],
            &["attributes", "attribs"],
        ],
        email: &["email"],
        name: &["name"],
        last_name: &[],
        status: &["status"],
        vocabulary: &[
            ("enabled", Status::Active),
            ("disabled", Status::Unsubscribed),
            ("blocklisted", Status::Unsubscribed),
        ],
        kinds: &[],
        whole_file: None,
        out_when_set: &[],
        consent: &[Evidence {
            label: "created",
            time: &["created_at"],
            ip: &[],
        }],
    },
    Spec {
        tool: Tool::MailerLite,
        signature: &[
            &["email", "subscriber"],
            &[
                "signup_ip",
                "optin_ip",
                "opted_in_at",
                "signup_timestamp",
                "confirmation_ip",
                "confirmation_timestamp",
            ],
        ],
        email: &["email", "subscriber"],
        name: &["name"],
        last_name: &["last_name", "last name"],
        status: &["status", "type"],
        vocabulary: &[
            ("active", Status::Active),
            ("unconfirmed", Status::Pending),
            ("unsubscribed", Status::Unsubscribed),
            ("bounced", Status::Bounced),
            ("junk", Status::Complained),
        ],
        kinds: &[],
        whole_file: None,
        out_when_set: &[],
        consent: &[
            Evidence {
                label: "signed up",
                time: &["subscribed_at", "signup_timestamp", "date_created"],
                ip: &["signup_ip", "ip_address"],
            },
            Evidence {
                label: "opted in",
                time: &["opted_in_at", "confirmation_timestamp"],
                ip: &["optin_ip", "confirmation_ip"],
            },
            Evidence {
                label: "unsubscribed",
                time: &["unsubscribed_at", "date_unsubscribe"],
                ip: &[],
            },
        ],
    },
    Spec {
        tool: Tool::Beehiiv,
        signature: &[
            &["email"],
            &["status"],
            &[
                "utm_source",
                "utm_channel",
                "referring_site",
                "subscription_tier",
            ],
        ],
        email: &["email"],
        name: &["first_name", "name"],
        last_name: &["last_name"],
        status: &["status"],
        vocabulary: &[
            ("active", Status::Active),
            ("inactive", Status::Unsubscribed),
            ("pending", Status::Pending),
            ("validating", Status::Pending),
            ("needs_approval", Status::Pending),
            ("needs_attention", Status::Pending),
            ("invalid", Status::Bounced),
        ],
        kinds: &[],
        whole_file: None,
        out_when_set: &[],
        consent: &[Evidence {
            label: "subscribed",
            time: &["created_at", "created", "subscribe_date"],
            ip: &[],
        }],
    },
    Spec {
        tool: Tool::Kit,
        signature: &[&["email_address"], &["first_name"]],
        email: &["email_address"],
        name: &["first_name"],
        last_name: &["last_name"],
        status: &["state", "status"],
        vocabulary: &[
            ("active", Status::Active),
            ("inactive", Status::Pending),
            ("cancelled", Status::Unsubscribed),
            ("canceled", Status::Unsubscribed),
            ("bounced", Status::Bounced),
            ("complained", Status::Complained),
        ],
        kinds: &[],
        whole_file: None,
        out_when_set: &[],
        consent: &[
            Evidence {
                label: "subscribed",
                time: &["created_at"],
                ip: &[],
            },
            Evidence {
                label: "cancelled",
                time: &["canceled_at", "cancelled_at"],
                ip: &[],
            },
        ],
    },
    Spec {
        tool: Tool::Briefing,
        signature: &[&["email", "e-mail", "email_address", "email address"]],
        email: &["email", "e-mail", "email_address", "email address"],
        name: &["name"],
        last_name: &[],
        status: &["status"],
        vocabulary: Status::WORDS,
        kinds: &[],
        whole_file: Some((Status::Active, "list")),
        out_when_set: &[],
        consent: &[Evidence {
            label: "added",
            time: &["created_at"],
            ip: &[],
        }],
    },
];
