//! The command line: clap types only, no behaviour.
//!
//! Longer than most files (about 650 lines) because every option's help text lives here: it is
//! the manual `--help` prints, kept in one place so a new option is described where it is made.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  briefing init news                 start a newsletter in ./news with sample cards
  briefing -C news new \"Qwen lead steps down\" --date 2026-03-03
  briefing -C news check             report every problem in every card
  briefing -C news check --strict    fail on warnings too
  briefing -C news build             write every issue into public/
  briefing -C news build --latest --out /tmp/preview";

/// Turn YAML story cards into a weekly newsletter: Markdown digest, static site and email.
#[derive(Debug, Parser)]
#[command(name = "briefing", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// The newsletter folder (holds config.yaml, briefs/, templates/).
    #[arg(
        short = 'C',
        long = "root",
        global = true,
        value_name = "DIR",
        default_value = "."
    )]
    pub root: PathBuf,

    /// When to colour diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// When to print colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a newsletter folder with a config, sample cards and a sample subscriber list.
    #[command(after_help = "Example:\n  briefing init news && cd news && briefing check")]
    Init(InitArgs),
    /// Write a new story card skeleton into the right week folder.
    #[command(
        after_help = "Example:\n  briefing new \"T-Head unveils the Zhenwu 810E\" --date 2026-03-04 --section Chips"
    )]
    New(NewArgs),
    /// Validate config.yaml and every card; print every problem with its file and line.
    #[command(
        after_help = "Examples:\n  briefing check --strict\n  briefing check --links --latest    is every source of the newest issue still there?"
    )]
    Check(CheckArgs),
    /// Render issues (digest.md, index.html, email.html, email.txt) into the output folder.
    #[command(
        after_help = "Examples:\n  briefing build                    every issue, replacing public/ as a whole\n  briefing build --week 2026-W25    one issue, other files left alone\n  briefing build --drafts --out /tmp/preview"
    )]
    Build(BuildArgs),
    /// Preview the site: build it in memory, serve it, rebuild and reload on every change.
    #[command(
        after_help = "Examples:\n  briefing serve                    http://127.0.0.1:8000/\n  briefing serve --port 0 --open    any free port, and open a browser"
    )]
    Serve(ServeArgs),
    /// Email an issue to the subscribers, a CSV list or addresses: over SMTP, or into an
    /// outbox of .eml files.
    #[command(
        after_help = "Examples:\n  briefing send --latest                                  the subscriber store's active readers\n  briefing send --week 2026-W25 --list subscribers.csv --dry-run\n  briefing send --week 2026-W25 --to me@example.org --outbox /tmp/outbox\n  briefing send --latest --list subscribers.csv           (resumes where it stopped)\n\nThe token secret is read from the variable named by `unsubscribe_secret_env` (default\nBRIEFING_UNSUBSCRIBE_SECRET) or else `.briefing/secret`; the SMTP password from\n`smtp.password_env`."
    )]
    Send(SendArgs),
    /// List every "What to watch" item and what became of it: open, overdue, resolved.
    #[command(
        after_help = "Examples:\n  briefing watch                    every item, open ones first\n  briefing watch --overdue          open items past their due date, or older than\n                                    `watch.stale_after_weeks` without one\n  briefing watch --open --json      for other tools\n  briefing watch --as-of 2026-07-01 as things stood that day"
    )]
    Watch(WatchArgs),
    /// What became of a sent issue: deliveries, bounces, who left, and clicks per story
    /// (counts only: nobody can tell who clicked).
    #[command(
        after_help = "Examples:\n  briefing report --latest                  the newest issue, and the ones before it\n  briefing report --week 2026-W25 --json    for other tools\n  briefing report --latest --html report.html   with a bar chart per story\n\nClicks are counted only with `audience.clicks: true` (README: \"Counting clicks\")."
    )]
    Report(ReportArgs),
    /// Keep the subscriber list: import, export, add, remove, forget, list, stats, history.
    #[command(
        after_help = "Examples:\n  briefing subscribers import subscribers.csv   add or update everyone in a CSV\n  briefing subscribers add ann@example.org --name Ann\n  briefing subscribers list --status active\n  briefing subscribers export > list.csv\n  briefing subscribers backup /var/backups/news.sqlite3   safe while `listen` runs\n  briefing subscribers stats\n  briefing subscribers history ann@example.org   when and how consent was given\n  briefing subscribers forget ann@example.org    erase them (right to erasure)"
    )]
    Subscribers(SubscribersArgs),
    /// Read bounces and spam complaints from a mailbox and mark those subscribers.
    #[command(
        after_help = "Examples:\n  briefing bounces ingest ~/Maildir/.bounces        a Maildir (cur/ and new/)\n  briefing bounces ingest bounces.mbox report.eml  mbox files and single messages\n  briefing bounces ingest ~/Maildir --dry-run       say what would change\n  briefing bounces ingest ~/Maildir --list subscribers.csv   update a CSV list's status column"
    )]
    Bounces(BouncesArgs),
    /// Run the sign-up service: subscribe form, double opt-in, one-click unsubscribe.
    #[command(
        after_help = "Examples:\n  briefing listen                         on 127.0.0.1:8025, behind your reverse proxy\n  briefing listen --port 9000             on 127.0.0.1:9000\n  briefing listen --bind 0.0.0.0:8025     on every address of this machine\n\nThe site's forms and sent mail point at `audience.url` in config.yaml; the proxy forwards\nthat address to this service (README: \"Running it on a server\")."
    )]
    Listen(ListenArgs),
    /// DKIM keys for the sending domain: make them and print the DNS records to publish.
    #[command(
        after_help = "Example:\n  briefing dkim keygen --selector briefing   an RSA 2048 and an Ed25519 key, the TXT\n                                             records, and the `dkim:` setting"
    )]
    Dkim(DkimArgs),
    /// Copy built-in templates out to edit them.
    #[command(
        after_help = "Examples:\n  briefing templates eject partials/footer.html   one template, to change the footer\n  briefing templates eject                       every template"
    )]
    Templates(TemplatesArgs),
}

/// `briefing dkim`.
#[derive(Debug, Args)]
pub struct DkimArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DkimCommand,
}

/// `briefing dkim` subcommands.
#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Make an RSA 2048 and an Ed25519 key (selectors `<S>-rsa` and `<S>-ed25519`), and print
    /// the DNS TXT records to publish and the `dkim:` setting that signs with both.
    Keygen {
        /// The selector's stem, e.g. `briefing` (a date works well for rotation: `2026-12`).
        #[arg(long, value_name = "S")]
        selector: String,
        /// The signing domain (default: the domain of `from` in config.yaml).
        #[arg(long, value_name = "DOMAIN")]
        domain: Option<String>,
        /// The folder the keys go in, inside the newsletter folder.
        #[arg(long, value_name = "DIR", default_value = ".briefing/dkim")]
        dir: PathBuf,
    },
}

/// `briefing report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The issue, by ISO week, e.g. 2026-W25.
    #[arg(long, value_name = "YYYY-Www", required_unless_present = "latest")]
    pub week: Option<String>,
    /// The newest issue.
    #[arg(long, conflicts_with = "week")]
    pub latest: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as an HTML page, with a bar chart per story.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// `briefing watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only open items (overdue and stale ones included).
    #[arg(long, conflicts_with_all = ["resolved", "overdue"])]
    pub open: bool,
    /// Only resolved items.
    #[arg(long, conflicts_with = "overdue")]
    pub resolved: bool,
    /// Only open items past their due date, or stale (no due date, older than
    /// `watch.stale_after_weeks`).
    #[arg(long)]
    pub overdue: bool,
    /// Print JSON: `{"as_of": ..., "items": [...]}`.
    #[arg(long)]
    pub json: bool,
    /// Judge items as of this day (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Include cards marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
}

/// `briefing send`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("audience").args(["to", "list"])))]
pub struct SendArgs {
    /// The issue to send, by ISO week, e.g. 2026-W25.
    #[arg(long, value_name = "YYYY-Www", required_unless_present_any = ["latest", "due"])]
    pub week: Option<String>,
    /// Send the newest issue.
    #[arg(long, conflicts_with = "week")]
    pub latest: bool,
    /// Send the newest issue whose `send_at` has come, unless it was sent: for a timer that
    /// runs every few minutes (with `--yes`). Does nothing otherwise.
    #[arg(long, conflicts_with_all = ["week", "latest", "to", "proof", "resend"])]
    pub due: bool,
    /// With `--due`: judge as of this time instead of now (`2026-12-07T07:00`, in the
    /// config's `timezone`, or with an offset).
    #[arg(long, value_name = "TIME", requires = "due")]
    pub as_of: Option<String>,
    /// Send to these addresses.
    #[arg(long, value_name = "ADDR", num_args = 1..)]
    pub to: Vec<String>,
    /// A proof to the `--to` addresses: `[Proof]` in the subject, never journaled or
    /// counted, as often as you like; a later real send still mails them.
    #[arg(long, requires = "to", conflicts_with = "list")]
    pub proof: bool,
    /// Send to a list without asking first (for scripts and timers). Without it, a send to
    /// the store or a CSV list shows what it is about to do and asks on a terminal, and
    /// refuses without one.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Send to the subscribers in this CSV (columns `email`, optional `name`, `status`)
    /// instead of the subscriber store's active ones.
    #[arg(long, value_name = "CSV")]
    pub list: Option<PathBuf>,
    /// Render and check every message, print one, send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse to send an issue that has sources the last `check --links` found dead (without
    /// it, `send` warns).
    #[arg(long)]
    pub strict_links: bool,
    /// Write one .eml file per recipient into DIR instead of using SMTP.
    #[arg(long, value_name = "DIR")]
    pub outbox: Option<PathBuf>,
    /// Messages per second at most (default: `send.rate_per_second`).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// SMTP sessions at once, 1 to 64 (default: `send.concurrency`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: Option<u32>,
    /// Mail again those the journal says already received this issue.
    #[arg(long)]
    pub resend: bool,
    /// Recipients a crashed run left in doubt (handed over, no answer recorded): send again
    /// with the same Message-ID, or skip them.
    #[arg(long, value_enum, value_name = "WHAT", default_value = "resend")]
    pub in_doubt: InDoubtChoice,
}

/// `--in-doubt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InDoubtChoice {
    /// Send again, with the Message-ID of the first try.
    Resend,
    /// Leave them alone.
    Skip,
}

/// `briefing serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Address to listen on. The default keeps the preview on this machine.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Open the preview in a browser.
    #[arg(long)]
    pub open: bool,
    /// Include cards marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// Also answer requests for this host name (when a proxy or another name points at the
    /// preview); the loopback names and the bind address are always answered.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
}

/// `briefing init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Folder to create (default: the `-C` folder).
    pub dir: Option<PathBuf>,
    /// Write into a folder that is not empty, replacing files of the same name.
    #[arg(long)]
    pub force: bool,
    /// Also copy the built-in templates into templates/ to edit them (each copy then
    /// overrides its built-in; `briefing templates eject NAME` copies one later).
    #[arg(long)]
    pub templates: bool,
    /// Your own newsletter: a config from the options below (asked for on a terminal when
    /// missing), an empty briefs/, no sample cards or list.
    #[arg(long)]
    pub bare: bool,
    /// With --bare: the newsletter's name, e.g. "My Weekly".
    #[arg(long, requires = "bare")]
    pub title: Option<String>,
    /// With --bare: where the site is published, e.g. `https://news.example.org/`.
    #[arg(long, requires = "bare", value_name = "URL")]
    pub base_url: Option<String>,
    /// With --bare: the sender, e.g. "My Weekly <news@example.org>".
    #[arg(long, requires = "bare", value_name = "MAILBOX")]
    pub from: Option<String>,
    /// With --bare: one line under the title.
    #[arg(long, requires = "bare")]
    pub tagline: Option<String>,
    /// With --bare: who the newsletter is for, one line.
    #[arg(long, requires = "bare")]
    pub description: Option<String>,
    /// With --bare: your postal address, shown in every email's footer.
    #[arg(long, requires = "bare", value_name = "ADDRESS")]
    pub postal_address: Option<String>,
}

/// `briefing subscribers`.
#[derive(Debug, Args)]
pub struct SubscribersArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SubscribersAction,
}

/// A subscriber status, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusChoice {
    /// Signed up, not confirmed yet.
    Pending,
    /// Mailed.
    Active,
    /// Asked to stop.
    Unsubscribed,
    /// The address does not take mail.
    Bounced,
    /// Reported the newsletter as spam.
    Complained,
}

/// The tool an export comes from, as `--from` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToolChoice {
    /// Mailchimp's audience export (subscribed, unsubscribed or cleaned file).
    Mailchimp,
    /// Buttondown's subscribers or unsubscribers export.
    Buttondown,
    /// Substack's subscriber export.
    Substack,
    /// Ghost's members export.
    Ghost,
    /// listmonk's subscribers export.
    Listmonk,
    /// Kit (ConvertKit).
    #[value(alias = "convertkit")]
    Kit,
    /// beehiiv's subscribers export.
    Beehiiv,
    /// MailerLite's subscribers export.
    Mailerlite,
    /// A list of your own, or `briefing subscribers export`.
    Briefing,
}

/// `briefing subscribers import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// Print what the import would do (counts by status, changes to existing subscribers,
    /// every row that cannot be mapped) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The tool that wrote the file, when its header row does not say.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub from: Option<ToolChoice>,
    /// The column that holds the address.
    #[arg(long, value_name = "NAME")]
    pub email_column: Option<String>,
    /// The column that holds the reader's name.
    #[arg(long, value_name = "NAME")]
    pub name_column: Option<String>,
    /// The column that holds the reader's status (say what its values mean with
    /// --status-map).
    #[arg(long, value_name = "NAME")]
    pub status_column: Option<String>,
    /// What the status column's values mean: `enabled=active,blocklisted=unsubscribed`
    /// (ours are pending, active, unsubscribed, bounced, complained).
    #[arg(long, value_name = "MAP")]
    pub status_map: Option<String>,
    /// The status of every row, for a file with no status column (an export of one
    /// status, such as a tool's "unsubscribed" tab).
    #[arg(long, value_enum)]
    pub status: Option<StatusChoice>,
    /// Make addresses that unsubscribed, bounced or complained active again when the file
    /// says so (only when they asked).
    #[arg(long)]
    pub reactivate: bool,
}

/// The `briefing subscribers` subcommands.
#[derive(Debug, Subcommand)]
pub enum SubscribersAction {
    /// Add or update everyone in a CSV: a list of your own (`email`, optional `name`,
    /// `status`) or an export from Mailchimp, Buttondown, Substack, Ghost, listmonk, Kit,
    /// beehiiv or MailerLite, recognised by its header row. Nobody who left there becomes
    /// active here, and nothing is imported until every row is valid.
    Import(ImportArgs),
    /// Write every subscriber as CSV (`email,name,status,created_at,updated_at`).
    Export {
        /// Only subscribers with this status.
        #[arg(long, value_enum)]
        status: Option<StatusChoice>,
        /// Write the consent record instead: every event of every subscriber
        /// (`email,at,status,source,detail`), oldest first.
        #[arg(long)]
        history: bool,
    },
    /// Print subscribers, one per line.
    List {
        /// Only subscribers with this status.
        #[arg(long, value_enum)]
        status: Option<StatusChoice>,
    },
    /// Add one subscriber, active at once (they asked you in person).
    Add {
        /// The address.
        email: String,
        /// Their name.
        #[arg(long)]
        name: Option<String>,
        /// Make an address that unsubscribed, bounced or complained active again.
        #[arg(long)]
        reactivate: bool,
    },
    /// Unsubscribe one address (its history is kept).
    Remove {
        /// The address.
        email: String,
    },
    /// Erase one address on its owner's request: the subscriber, its history and bounce
    /// records are deleted; only a hash stays, so no import or CSV send mails it again
    /// unless they sign up anew.
    Forget {
        /// The address.
        email: String,
    },
    /// Copy the subscriber database to FILE, safely while `listen` runs (SQLite's online
    /// backup; unsubscribes still queued included; checked before it replaces FILE).
    Backup {
        /// Where the copy goes (an older copy there is replaced once the new one is whole).
        file: PathBuf,
    },
    /// Counts by status, and sign-ups and unsubscribes per week.
    Stats,
    /// Every change of one subscriber's status: when, to what, and how.
    History {
        /// The address.
        email: String,
    },
}

/// `briefing bounces`.
#[derive(Debug, Args)]
pub struct BouncesArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: BouncesAction,
}

/// The `briefing bounces` subcommands.
#[derive(Debug, Subcommand)]
pub enum BouncesAction {
    /// Read delivery reports (RFC 3464) and complaints (RFC 5965 ARF) from .eml files, mbox
    /// files or Maildirs; hard bounces and complaints stop mail at once, soft bounces after
    /// `audience.soft_bounce_limit` within 30 days.
    Ingest {
        /// Maildirs, mbox files or single messages.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Update this CSV list's `status` column instead of the subscriber store.
        #[arg(long, value_name = "CSV")]
        list: Option<PathBuf>,
        /// Say what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Count the reports as ingested at this time (2026-06-17T08:00:00Z, or a day,
        /// 2026-06-17, for its midnight UTC) instead of now: to replay an old mailbox into the
        /// 30 days of soft bounces.
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
    },
}

/// `briefing listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Address to listen on, with or without its port (`127.0.0.1:9000`, `0.0.0.0`,
    /// `[::1]:9000`). The default keeps the service on this machine, for a reverse proxy in
    /// front.
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_bind)]
    pub bind: Bind,
    /// Port to listen on, as `serve --port` takes it (else the port of `--bind`, else 8025);
    /// 0 picks a free one.
    #[arg(long)]
    pub port: Option<u16>,
    /// A reverse proxy (an address, or a network such as 10.0.0.0/24) whose
    /// `X-Forwarded-For` header names the client, for the per-client sign-up limit; may be
    /// given more than once. Without it, this machine's (127.0.0.1, ::1) are trusted; naming
    /// any replaces them.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Gone: it trusted every machine's `X-Forwarded-For`. Use `--trusted-proxy`.
    #[arg(long, hide = true)]
    pub behind_proxy: bool,
}

/// `listen --bind`: an address, and the port when it names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bind {
    /// The address.
    pub ip: std::net::IpAddr,
    /// The port, when given with the address.
    pub port: Option<u16>,
}

/// The port `listen` takes when neither `--bind` nor `--port` names one.
pub const LISTEN_PORT: u16 = 8025;

impl ListenArgs {
    /// The address and port to listen on: `--port`, else the port of `--bind`, else
    /// [`LISTEN_PORT`].
    ///
    /// # Errors
    ///
    /// [`Error::TwoPorts`](crate::error::Error::TwoPorts) when `--bind` and `--port` name
    /// different ports.
    pub fn address(&self) -> crate::error::Result<std::net::SocketAddr> {
        let port = match (self.bind.port, self.port) {
            (Some(bound), Some(port)) if bound != port => {
                return Err(crate::error::Error::TwoPorts {
                    bind: std::net::SocketAddr::new(self.bind.ip, bound).to_string(),
                    port,
                });
            }
            (_, Some(port)) | (Some(port), None) => port,
            (None, None) => LISTEN_PORT,
        };
        Ok(std::net::SocketAddr::new(self.bind.ip, port))
    }
}

/// An address with its port (`127.0.0.1:9000`, `[::1]:9000`) or without (`0.0.0.0`, `::1`,
/// `[::1]`).
fn parse_bind(text: &str) -> std::result::Result<Bind, String> {
    if let Ok(address) = text.parse::<std::net::SocketAddr>() {
        return Ok(Bind {
            ip: address.ip(),
            port: Some(address.port()),
        });
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse::<std::net::IpAddr>()
        .map(|ip| Bind { ip, port: None })
        .map_err(|_| {
            format!(
                "`{text}` is not an address: write one like `127.0.0.1`, `0.0.0.0:8025` or `[::1]:8025`"
            )
        })
}

/// A network (`10.0.0.0/24`), or one address as a network of one.
fn parse_network(text: &str) -> std::result::Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{text}` is not an address or a network such as 10.0.0.0/24"))
}

/// `briefing templates`.
#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TemplatesAction,
}

/// The `briefing templates` subcommands.
#[derive(Debug, Subcommand)]
pub enum TemplatesAction {
    /// List every built-in template, what it makes, and whether this newsletter overrides it.
    List,
    /// Copy built-in templates into templates/ to edit them; a copy overrides its built-in.
    Eject {
        /// Templates to copy, e.g. `issue.html partials/footer.html` (default: all).
        names: Vec<String>,
        /// Replace copies that are there already.
        #[arg(long)]
        force: bool,
    },
}

/// `briefing new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The headline.
    pub title: String,
    /// The story's date, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// The section the story goes under.
    #[arg(long)]
    pub section: Option<String>,
    /// The URL name (default: derived from the title).
    #[arg(long)]
    pub slug: Option<String>,
}

/// `briefing build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Build only the issue of this ISO week, e.g. 2026-W25.
    #[arg(long, value_name = "YYYY-Www", conflicts_with_all = ["latest", "all"])]
    pub week: Option<String>,
    /// Build only the newest issue.
    #[arg(long, conflicts_with = "all")]
    pub latest: bool,
    /// Build every issue (the default).
    #[arg(long)]
    pub all: bool,
    /// Output folder (default: `output_dir` from config.yaml).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Include cards marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
}

/// `briefing check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Treat warnings as errors, and warn about what a newsletter about to mail readers
    /// should have (a postal address).
    #[arg(long)]
    pub strict: bool,
    /// Also say where the token secret comes from (said anyway when it is missing or weak).
    #[arg(long, short)]
    pub verbose: bool,
    /// Also fetch every source the cards cite (and the links in their text) and report the
    /// dead, the moved and those that could not be verified, at each card's line. The only
    /// command that touches the network; answers are kept in .briefing/cache/links.
    #[arg(long)]
    pub links: bool,
    /// With --links: only the cards of this week's issue, e.g. 2026-W25.
    #[arg(long, requires = "links", value_name = "WEEK")]
    pub week: Option<String>,
    /// With --links: only the cards of the newest issue (the one `send --latest` sends).
    #[arg(long, requires = "links", conflicts_with = "week")]
    pub latest: bool,
    /// With --links: answers younger than this are taken from the cache, e.g. 12h, 1d, 7d.
    #[arg(long, requires = "links", value_name = "AGE", default_value = "1d", value_parser = parse_age)]
    pub max_age: chrono::Duration,
    /// With --links: ask every server again, whatever the cache holds.
    #[arg(long, requires = "links")]
    pub refresh: bool,
    /// With --links: ask the archive (`links.archive_endpoint`, by default the Internet
    /// Archive) to keep a copy of each live source that has none, recorded in archive.yaml.
    #[arg(long, requires = "links")]
    pub archive: bool,
    /// With --links: seconds one request may take before it is tried again.
    #[arg(long, requires = "links", value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub timeout: u64,
    /// Also look up the sending domain's DNS records (SPF, each DKIM selector, DMARC, the
    /// bounce domain's MX) and print the record to publish for each one missing or wrong.
    #[arg(long)]
    pub dns: bool,
    /// With `--dns`: ask this DNS server (`IP:PORT`, e.g. your domain's authoritative server
    /// before the change has spread) instead of the system's resolver.
    #[arg(long, value_name = "IP:PORT", requires = "dns")]
    pub dns_server: Option<std::net::SocketAddr>,
}

impl CheckArgs {
    /// `--max-age` as the cache's age in words: `day`, `12 hours`.
    pub fn max_age_shown(&self) -> String {
        let minutes = self.max_age.num_minutes();
        if minutes == 0 {
            return "0 minutes".to_owned();
        }
        match (minutes % (24 * 60), minutes % 60) {
            (0, _) if minutes == 24 * 60 => "day".to_owned(),
            (0, _) => format!("{} days", minutes / (24 * 60)),
            (_, 0) => format!("{} hours", minutes / 60),
            _ => format!("{minutes} minutes"),
        }
    }
}

/// An age as `30m`, `12h`, `1d` or `7d`.
fn parse_age(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an age like 30m, 12h or 7d"))?;
    match unit {
        "m" => Ok(chrono::Duration::minutes(number)),
        "h" => Ok(chrono::Duration::hours(number)),
        "d" | "" => Ok(chrono::Duration::days(number)),
        _ => Err(format!("`{text}` is not an age like 30m, 12h or 7d")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};

    /// The address `briefing listen ARGS...` would listen on, or its error in words.
    fn listen_address(args: &[&str]) -> Result<String, String> {
        let cli = Cli::try_parse_from([&["briefing", "listen"], args].concat())
            .map_err(|e| e.to_string())?;
        let Command::Listen(listen) = cli.command else {
            unreachable!("parsed as listen")
        };
        listen
            .address()
            .map(|a| a.to_string())
            .map_err(|e| e.to_string())
    }

    // `serve` takes `--port` and `--bind ADDR`; `listen` takes the same, and its older
    // `--bind ADDR:PORT` still works.
    #[test]
    fn listen_takes_its_port_as_serve_does_or_with_the_address() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "127.0.0.1:8025"),
            (&["--port", "9000"], "127.0.0.1:9000"),
            (&["--port", "0"], "127.0.0.1:0"),
            (&["--bind", "127.0.0.1:9000"], "127.0.0.1:9000"),
            (&["--bind", "0.0.0.0", "--port", "9000"], "0.0.0.0:9000"),
            (&["--bind", "::1"], "[::1]:8025"),
            (&["--bind", "[::1]"], "[::1]:8025"),
            (&["--bind", "[::1]:9000"], "[::1]:9000"),
            // The same port twice is one port.
            (
                &["--bind", "127.0.0.1:9000", "--port", "9000"],
                "127.0.0.1:9000",
            ),
        ];
        for (args, address) in cases {
            assert_eq!(listen_address(args).unwrap(), *address, "{args:?}");
        }
    }

    #[test]
    fn listen_refuses_two_ports_and_names_what_an_address_looks_like() {
        let two = listen_address(&["--bind", "127.0.0.1:9000", "--port", "9001"]).unwrap_err();
        assert!(two.contains("name two ports"), "{two}");
        let bad = listen_address(&["--bind", "localhost:9000"]).unwrap_err();
        assert!(
            bad.contains("`localhost:9000` is not an address: write one like `127.0.0.1`"),
            "{bad}"
        );
        let port = listen_address(&["--port", "70000"]).unwrap_err();
        assert!(port.contains("70000"), "{port}");
    }
}
