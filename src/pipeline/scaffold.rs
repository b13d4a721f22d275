//! Writes new files for the user: a whole newsletter (`init`), the built-in templates to edit
//! (`init --templates`, `templates eject`), or one card skeleton (`new`).
//!
//! Templates are copied out only when asked: a copy overrides the built-in of its name, so a
//! newer briefing's template fixes would never reach a newsletter that holds copies it never
//! edited.
//!
//! The sample newsletter is the repository's own `config.yaml` and `briefs/`, embedded at
//! compile time, so `briefing init` gives exactly what the repository shows. Neither function
//! ever overwrites a card; `init` overwrites only with `--force`.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::content::issue::IssueId;
use crate::content::load;
use crate::content::project::Paths;
use crate::content::slug;
use crate::content::validate;
use crate::content::yaml::quoted;
use crate::error::{Error, Result};

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../", $path)))),*]
    };
}

/// The sample newsletter: relative path and content of every file `init` writes.
pub const SAMPLE: &[(&str, &str)] = embed![
    "config.yaml",
    "briefs/2026-W03/compute-gap-tsinghua-summit.yaml",
    "briefs/2026-W08/qwen-app-lunar-new-year.yaml",
    "briefs/2026-W10/alibaba-cloud-coding-plan.yaml",
    "briefs/2026-W10/issue.yaml",
    "briefs/2026-W10/qwen-3-5-small-models.yaml",
    "briefs/2026-W10/qwen-tech-lead-steps-down.yaml",
    "briefs/2026-W10/t-head-zhenwu-810e.yaml",
    "briefs/2026-W11/alibaba-ai-spending-caution.yaml",
    "briefs/2026-W11/qwen-team-restructured.yaml",
    "briefs/2026-W25/issue.yaml",
    "briefs/2026-W25/lin-new-lab-funding.yaml",
    "briefs/2026-W25/qwen-robotics-push.yaml",
    "briefs/2026-W25/who-speaks-for-qwen.yaml",
    "subscribers.csv",
];

const GITIGNORE: &str = "/public/\n/outbox/\n/.briefing/\n";

/// Creates a newsletter in `dir`: config, sample cards, a sample subscriber list and a
/// `.gitignore`; with `templates`, the built-in templates too.
///
/// Returns how many files were written.
///
/// # Errors
///
/// [`Error::InitNotEmpty`] when `dir` holds anything and `force` is false;
/// [`Error::WriteFile`] when a file cannot be written.
pub fn init(dir: &Path, force: bool, templates: bool) -> Result<usize> {
    let files = SAMPLE
        .iter()
        .map(|(rel, content)| ((*rel).to_owned(), *content))
        .chain([(".gitignore".to_owned(), GITIGNORE)]);
    write_newsletter(dir, force, templates, files)
}

/// Writes a new newsletter's `files` (and with `templates` the built-ins) into `dir`, which
/// must be empty unless `force`, and makes its secret. Returns how many files were written.
fn write_newsletter<'a>(
    dir: &Path,
    force: bool,
    templates: bool,
    files: impl Iterator<Item = (String, &'a str)>,
) -> Result<usize> {
    let occupied = fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !force {
        return Err(Error::InitNotEmpty {
            dir: dir.to_path_buf(),
        });
    }
    let templates = crate::publish::templates::BUILTINS
        .iter()
        .filter(|_| templates)
        .map(|(name, source)| (format!("templates/{name}"), *source));
    let mut written = 0;
    for (rel, content) in files.chain(templates) {
        write_new(&dir.join(rel), content)?;
        written += 1;
    }
    // The key that signs unsubscribe and confirmation links: made here, once, so `send` and
    // `listen` agree from the start (an environment variable, when set, wins over it).
    crate::audience::secret::create(&crate::audience::secret::file(dir))?;
    Ok(written)
}

/// What a publisher starting their own newsletter says about it (`init --bare`).
#[derive(Debug, Clone, Default)]
pub struct Starter {
    /// The newsletter's name.
    pub title: String,
    /// Where the site is published.
    pub base_url: String,
    /// The sender, `Name <address>`.
    pub from: String,
    /// One line under the title.
    pub tagline: Option<String>,
    /// Who it is for.
    pub description: Option<String>,
    /// The sender's postal address.
    pub postal_address: Option<String>,
}

/// The option each of [`Starter`]'s settings comes from, by its key in `config.yaml`.
const STARTER_OPTIONS: &[(&str, &str)] = &[
    ("title", "--title"),
    ("base_url", "--base-url"),
    ("from", "--from"),
    ("tagline", "--tagline"),
    ("audience", "--description"),
    ("postal_address", "--postal-address"),
];

/// The `config.yaml` of `starter`, with the optional settings a newsletter grows into left
/// as comments.
fn starter_config(starter: &Starter) -> String {
    let line = |key: &str, value: Option<&String>, example: &str| match value {
        Some(value) => format!("{key}: {}\n", quoted(value.trim())),
        None => format!("# {key}: {example}\n"),
    };
    let mut text = String::from(
        "# Written by `briefing init --bare`. Every setting is in the README (\"config.yaml\").\n",
    );
    text.push_str(&line("title", Some(&starter.title), ""));
    text.push_str(&line(
        "tagline",
        starter.tagline.as_ref(),
        "Weekly signal. No noise.",
    ));
    text.push_str(&line(
        "audience",
        starter.description.as_ref(),
        "Built for founders, operators, and AI-curious professionals.",
    ));
    let mut base_url = starter.base_url.trim().to_owned();
    if !base_url.ends_with('/') {
        base_url.push('/');
    }
    text.push_str(&line("base_url", Some(&base_url), ""));
    text.push_str(&line("from", Some(&starter.from), ""));
    text.push_str(&line(
        "postal_address",
        starter.postal_address.as_ref(),
        "Your Name, 1 Main St, Springfield, IL 62701, USA   # shown in every email",
    ));
    text.push_str("promise: No spam. Unsubscribe any time.\nlanguage: en\noutput_dir: public\n");
    text.push_str(
        "\n# Sign-ups, confirmations and one-click unsubscribes with `briefing listen` (README:\n\
         # \"Subscribers\"): the service's public address, where your proxy forwards to it.\n\
         # audience:\n\
         #   description: Who it is for.\n\
         #   url: https://news.example.org/list/\n\
         \n# Without `smtp`, `briefing send` writes one .eml file per reader into outbox/.\n\
         # smtp:\n\
         #   host: smtp.example.org\n\
         #   port: 587\n\
         #   security: starttls\n\
         #   username: news@example.org\n\
         #   password_env: BRIEFING_SMTP_PASSWORD   # the *name* of the variable\n",
    );
    text
}

/// Creates a newsletter of the publisher's own in `dir`: `config.yaml` from `starter`, an
/// empty `briefs/`, a `.gitignore` and the secret; no sample cards or list. Returns the files
/// written.
///
/// # Errors
///
/// [`Error::BadOption`] naming the option whose value the config refuses (nothing is written
/// then), [`Error::InitNotEmpty`] and [`Error::WriteFile`] as [`init`].
pub fn init_bare(dir: &Path, force: bool, templates: bool, starter: &Starter) -> Result<usize> {
    let text = starter_config(starter);
    if let Err(problems) =
        crate::content::config::parse_with_warnings(Path::new("config.yaml"), &text)
    {
        let problem = problems
            .iter()
            .find(|d| d.is_error())
            .or(problems.first())
            .ok_or_else(|| Error::BadOption {
                option: "--bare",
                detail: "the settings make no config".to_owned(),
            })?;
        let key = text
            .lines()
            .nth(problem.pos.line.saturating_sub(1) as usize)
            .and_then(|l| l.split(':').next())
            .unwrap_or_default();
        let option = STARTER_OPTIONS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("--bare", |(_, option)| option);
        return Err(Error::BadOption {
            option,
            detail: problem.help.as_ref().map_or_else(
                || problem.message.clone(),
                |help| format!("{} ({help})", problem.message),
            ),
        });
    }
    let files = [
        ("config.yaml".to_owned(), text.as_str()),
        // Git keeps no empty folder; `check` reads only `.yaml` files.
        ("briefs/.gitkeep".to_owned(), ""),
        (".gitignore".to_owned(), GITIGNORE),
    ];
    write_newsletter(dir, force, templates, files.into_iter())
}

/// Every built-in template, what it makes and this newsletter's copy of it, then the
/// newsletter's own templates.
///
/// # Errors
///
/// A template file that cannot be read.
pub fn list_templates(
    paths: &Paths,
) -> Result<Vec<(String, &'static str, crate::publish::templates::Copy)>> {
    crate::publish::templates::list(&paths.templates)
}

/// Copies the built-in templates named in `names` (all of them when empty) into the
/// newsletter's `templates/`, where they override the built-ins. Returns the files written.
///
/// # Errors
///
/// [`Error::UnknownTemplate`] for a name that is no built-in, [`Error::TemplateExists`]
/// when a copy is there already and `force` is false, [`Error::WriteFile`].
pub fn eject_templates(paths: &Paths, names: &[String], force: bool) -> Result<Vec<PathBuf>> {
    let builtins = crate::publish::templates::BUILTINS;
    let chosen: Vec<(&str, &str)> = if names.is_empty() {
        builtins.to_vec()
    } else {
        names
            .iter()
            .map(|name| {
                let name = name.trim_start_matches("templates/");
                builtins
                    .iter()
                    .find(|(builtin, _)| *builtin == name)
                    .copied()
                    .ok_or_else(|| Error::UnknownTemplate {
                        name: name.to_owned(),
                        known: builtins.iter().map(|(n, _)| (*n).to_owned()).collect(),
                    })
            })
            .collect::<Result<_>>()?
    };
    if !force
        && let Some((name, _)) = chosen
            .iter()
            .find(|(name, _)| paths.templates.join(name).exists())
    {
        return Err(Error::TemplateExists {
            path: paths.templates.join(name),
        });
    }
    let mut written = Vec::new();
    for (name, source) in chosen {
        let path = paths.templates.join(name);
        write_new(&path, source)?;
        written.push(path);
    }
    Ok(written)
}

fn write_new(path: &Path, content: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|source| Error::WriteFile {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    fs::write(path, content).map_err(|source| Error::WriteFile {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a card skeleton for `title` into `briefs/<week of date>/<slug>.yaml`.
///
/// Returns the new card's path.
///
/// # Errors
///
/// [`Error::NotOneLine`], [`Error::BadSlug`] or [`Error::TitleWithoutSlug`] for a title or
/// slug that cannot be used, [`Error::CardExists`] when the
/// file exists or another card already has the slug, [`Error::WriteFile`] when it cannot be
/// written.
pub fn new_card(
    paths: &Paths,
    title: &str,
    date: NaiveDate,
    section: Option<&str>,
    slug: Option<&str>,
) -> Result<PathBuf> {
    let title = title.trim();
    if title.is_empty() || title.chars().any(char::is_control) {
        return Err(Error::NotOneLine { what: "the title" });
    }
    if section.is_some_and(|s| s.trim().is_empty() || s.chars().any(char::is_control)) {
        return Err(Error::NotOneLine {
            what: "`--section`",
        });
    }
    let derived = slug::slugify(title);
    let slug = match slug {
        Some(given) if slug::is_valid(given) => given.to_owned(),
        Some(given) => {
            return Err(Error::BadSlug {
                slug: given.to_owned(),
            });
        }
        None if derived.is_empty() => {
            return Err(Error::TitleWithoutSlug);
        }
        None => derived.clone(),
    };
    let rel = PathBuf::from("briefs")
        .join(IssueId::of_date(date).to_string())
        .join(format!("{slug}.yaml"));
    let path = paths.root.join(&rel);
    if path.exists() {
        return Err(Error::CardExists { path: rel });
    }
    let corpus = validate::validate(load::load_briefs(&paths.root), Some(&paths.root));
    if let Some(owner) = corpus.stories.iter().find(|s| s.slug == slug) {
        return Err(Error::CardExists {
            path: owner.path.clone(),
        });
    }
    let explicit_slug = (slug != derived).then_some(slug.as_str());
    write_new(&path, &skeleton(title, date, section, explicit_slug))?;
    Ok(rel)
}

/// The card skeleton: every field present, required ones empty so `check` points at them.
pub fn skeleton(title: &str, date: NaiveDate, section: Option<&str>, slug: Option<&str>) -> String {
    let slug_line = match slug {
        Some(slug) => format!("slug: {slug}\n"),
        None => "# slug: my-story            # optional: the URL name; derived from the title\n"
            .to_owned(),
    };
    let section_line = match section {
        Some(section) => format!("section: {}\n", quoted(section.trim())),
        None => {
            "# section: Models           # optional: the heading it is grouped under\n".to_owned()
        }
    };
    format!(
        "\
# A story card. Fill in the empty fields; `briefing check` points at each one left.
# Long fields take Markdown: *emphasis*, **bold**, [links](https://example.org).
title: {title}
date: {date}
{slug_line}{section_line}tags: []

# One short paragraph, under ~90 words: what happened, who, when, how big.
summary: \"\"

# 1 to 6 bullets, one idea each, under ~25 words.
tldr:
  - \"\"

# Why a busy reader should care.
why_it_matters: \"\"

# Optional: what it means for operators and founders.
business_relevance: \"\"

# Optional: consequences, one per bullet (shown as \"Key implications\").
implications: []

# The signals to follow next: a paragraph, or a list of bullets. A bullet may be
# `{{id: lab-first-model, text: ..., due: 2026-09}}` so later stories can follow it up.
what_to_watch: \"\"

# Optional: watch items of earlier stories that this one settles or advances
# (`briefing watch` lists their ids).
# follows_up:
#   - id: lab-first-model
#     note: \"It shipped, with open weights.\"
#     resolved: true

# The evidence, one entry per source.
sources:
  # - title: \"Publication: headline\"
  #   url: https://example.org/article
  #   date: {date}

# Optional: how sure the story is (low, medium, high), and a disclaimer under it.
# confidence: medium
# disclaimer: \"Decision support, not investment advice.\"

# order: 1                   # optional: position in its issue; lower comes first

# A new card is a draft: checked, previewed with `--drafts`, never built or sent.
# Set this to false when the story is ready to go out with its issue.
draft: true
",
        title = quoted(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_table_lists_every_file_in_the_repository_briefs() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let on_disk: Vec<String> = load::load_briefs(root)
            .iter()
            .map(|f| f.path.to_string_lossy().replace('\\', "/"))
            .collect();
        let embedded: Vec<&str> = SAMPLE
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| p.starts_with("briefs/"))
            .collect();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn skeleton_quotes_hostile_titles() {
        let text = skeleton(
            "He said \"hi\" \\ bye: {{ 7*7 }}",
            NaiveDate::default(),
            None,
            None,
        );
        let root = crate::content::yaml::parse(&text).unwrap().unwrap();
        assert_eq!(
            root.get("title").unwrap().value.as_text(),
            Some("He said \"hi\" \\ bye: {{ 7*7 }}")
        );
    }
}
