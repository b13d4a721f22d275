//! Watch items followed across issues: the blocks in every format, the story pages, the watch
//! page, `watch.ics` and `briefing watch`.

use icalendar::{Calendar, CalendarComponent, Component, DatePerhapsTime};
use scraper::{Html, Selector};

use crate::html::{select, text};
use crate::project::Project;

const LIN_STORY: &str = "stories/junyang-lin-steps-down-as-tech-lead-of-alibabas-qwen/";
const LAB_STORY: &str =
    "stories/former-qwen-lead-junyang-lins-new-ai-lab-raises-at-a-2-billion-valuation/";
const BASE: &str = "https://briefing.example.org/";

fn built_sample() -> Project {
    let project = Project::sample();
    build(&project);
    project
}

fn hrefs(element: &scraper::ElementRef<'_>) -> Vec<String> {
    element
        .select(&Selector::parse("a[href]").unwrap())
        .map(|a| a.attr("href").unwrap().to_owned())
        .collect()
}

/// Builds `project`'s site, which must succeed.
#[track_caller]
fn build(project: &Project) {
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// A newsletter with one card per `(name, date, extra YAML)`.
fn newsletter(config_extra: &str, cards: &[(&str, &str, &str)]) -> Project {
    let project = Project::empty();
    project.write(
        "config.yaml",
        format!(
            "title: Signals\nbase_url: https://signals.example.org/\nfrom: Signals <s@example.org>\n{config_extra}"
        ),
    );
    for (name, date, extra) in cards {
        let title = name.rsplit('/').next().unwrap();
        project.write(
            &format!("briefs/{name}.yaml"),
            format!(
                "title: {title}\ndate: {date}\nsummary: S.\ntldr: [T]\nwhy_it_matters: W.\nsources: [https://example.org/]\n{extra}"
            ),
        );
    }
    project
}

#[test]
fn the_issue_page_and_feed_say_what_last_time_said_to_watch() {
    let project = built_sample();
    let page = Html::parse_document(&project.read("public/issues/2026-w25/index.html"));
    let blocks = select(&page, "section.follow-ups");
    assert_eq!(blocks.len(), 1);
    let block = &blocks[0];
    assert_eq!(
        text(&select(&page, "section.follow-ups h2")[0]),
        "Last time we said to watch…"
    );
    let item = text(&select(&page, "section.follow-ups li")[0]);
    assert!(
        item.contains("Where Lin lands next, or what he starts"),
        "{item}"
    );
    assert!(
        item.contains("Junyang Lin steps down as tech lead of Alibaba’s Qwen"),
        "{item}"
    );
    assert!(item.contains("issue 3"), "{item}");
    assert!(
        item.contains("Resolved: Former Qwen lead Junyang Lin’s new AI lab"),
        "{item}"
    );
    assert!(
        item.contains("He founded an AI lab, now valued at about $2 billion."),
        "{item}"
    );
    assert_eq!(
        hrefs(block),
        [format!("../../{LIN_STORY}"), format!("../../{LAB_STORY}")]
    );
    // It comes before the stories, after the editor's note.
    let html = project.read("public/issues/2026-w25/index.html");
    assert!(html.find("class=\"intro\"").unwrap() < html.find("follow-ups").unwrap());
    assert!(html.find("follow-ups").unwrap() < html.find("class=\"story\"").unwrap());
    // The story says what it follows up.
    let lab = select(&page, "article.story")
        .into_iter()
        .find(|a| {
            a.attr("id")
                == Some("former-qwen-lead-junyang-lins-new-ai-lab-raises-at-a-2-billion-valuation")
        })
        .unwrap();
    let follows = select(&page, "article.story p.follows-up");
    assert_eq!(follows.len(), 1);
    assert!(text(&lab).contains("Follows up on Junyang Lin steps down"));
    // An issue that follows nothing up has no block.
    let w10 = project.read("public/issues/2026-w10/index.html");
    assert!(!w10.contains("follow-ups"), "W10 follows nothing up");
    // The feed carries the issue body, block included, with absolute links.
    let feed = project.read("public/feed.xml");
    assert!(feed.contains("Last time we said to watch…"));
    assert!(feed.contains(&format!("{BASE}{LIN_STORY}")));
}

#[test]
fn the_email_digest_and_text_carry_the_block_with_absolute_links() {
    let project = built_sample();
    let email = Html::parse_document(&project.read("public/issues/2026-w25/email.html"));
    let block = &select(&email, ".follow-ups")[0];
    assert_eq!(
        hrefs(block),
        [format!("{BASE}{LIN_STORY}"), format!("{BASE}{LAB_STORY}")]
    );
    assert!(
        block.attr("style").is_none() || text(block).contains("Where Lin lands next"),
        "the block is in the email"
    );
    let heading = &select(&email, ".follow-ups h2")[0];
    assert!(heading.attr("style").is_some(), "CSS is inlined");

    let digest = project.read("public/issues/2026-w25/digest.md");
    assert!(
        digest.contains(&format!(
            "## Last time we said to watch…\n\n- → Where Lin lands next, or what he starts ([Junyang Lin steps down as tech lead of Alibaba’s Qwen]({BASE}{LIN_STORY}), issue 3)  \n  Resolved: [Former Qwen lead Junyang Lin’s new AI lab raises at a $2 billion valuation]({BASE}{LAB_STORY}). He founded an AI lab, now valued at about $2 billion.\n"
        )),
        "{digest}"
    );
    assert!(digest.contains(&format!(
        "*17 June 2026* · Follows up on [Junyang Lin steps down as tech lead of Alibaba’s Qwen]({BASE}{LIN_STORY})"
    )));

    let plain = project.read("public/issues/2026-w25/email.txt");
    assert!(
        plain.contains(&format!(
            "LAST TIME WE SAID TO WATCH…\n  → Where Lin lands next, or what he starts\n    Issue 3: \"Junyang Lin steps down as tech lead of Alibaba’s Qwen\"\n    {BASE}{LIN_STORY}\n    Resolved: \"Former Qwen lead Junyang Lin’s new AI lab raises at a $2\n    billion valuation\". He founded an AI lab, now valued at about $2\n    billion.\n    {BASE}{LAB_STORY}\n"
        )),
        "{plain}"
    );
    assert!(
        plain
            .lines()
            .filter(|l| !l.contains("https://"))
            .all(|l| l.chars().count() <= 72)
    );
    assert!(
        !project
            .read("public/issues/2026-w10/email.txt")
            .contains("LAST TIME")
    );
}

#[test]
fn still_watching_lists_overdue_then_stale_items_on_the_web_page_only() {
    let project = newsletter(
        "watch:\n  stale_after_weeks: 4\n  still_watching_limit: 2\n",
        &[
            (
                "2026-W02/early",
                "2026-01-05",
                "what_to_watch:\n  - Stale one\n  - Stale two\n  - id: due-soon\n    text: Due in February\n    due: 2026-02\n  - id: due-later\n    text: Due in December\n    due: 2026-12-31\n",
            ),
            (
                "2026-W10/late",
                "2026-03-02",
                "what_to_watch:\n  - Fresh\nfollows_up: [early-2]\n",
            ),
        ],
    );
    build(&project);
    let page = Html::parse_document(&project.read("public/issues/2026-w10/index.html"));
    let items: Vec<String> = select(&page, "section.still-watching li")
        .iter()
        .map(text)
        .collect();
    // Overdue first; `early-2` is followed up in this very issue; `due-later` is not due yet;
    // the limit keeps two and says how many more there are.
    assert_eq!(
        items,
        [
            "→ Due in February (early, due February 2026)",
            "→ Stale one (early, 8 weeks ago)",
        ]
    );
    let more = text(&select(&page, "section.still-watching p.more")[0]);
    assert_eq!(more, "Everything we are watching →");
    assert_eq!(
        hrefs(&select(&page, "section.still-watching")[0])
            .last()
            .unwrap(),
        "../../watch/"
    );
    // Not in the email, nor in the first issue (nothing came before it).
    assert!(
        !project
            .read("public/issues/2026-w10/email.html")
            .contains("Still watching")
    );
    assert!(
        !project
            .read("public/issues/2026-w02/index.html")
            .contains("Still watching")
    );

    // With a lower limit the rest is counted.
    project.write(
        "config.yaml",
        project
            .read("config.yaml")
            .replace("still_watching_limit: 2", "still_watching_limit: 1"),
    );
    assert_eq!(project.run(&["build"]).code, 0);
    let page = Html::parse_document(&project.read("public/issues/2026-w10/index.html"));
    assert_eq!(select(&page, "section.still-watching li").len(), 1);
    assert_eq!(
        text(&select(&page, "section.still-watching p.more")[0]),
        "1 more, and everything we are watching →"
    );
}

#[test]
fn story_pages_link_both_ways() {
    let project = built_sample();
    let origin = Html::parse_document(&project.read(&format!("public/{LIN_STORY}index.html")));
    let section = &select(&origin, "section.followed-up")[0];
    assert_eq!(
        text(&select(&origin, "section.followed-up h2")[0]),
        "Followed up in…"
    );
    let items: Vec<String> = select(&origin, "section.followed-up li")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        items,
        [
            "→ Whether more core researchers follow: Reports tie Qwen exits to a split of the team into functional silos (10 March 2026, resolved)",
            "→ Where Lin lands next, or what he starts: Former Qwen lead Junyang Lin’s new AI lab raises at a $2 billion valuation (17 June 2026, resolved)",
        ]
    );
    assert!(hrefs(section).contains(&format!("../../{LAB_STORY}")));

    let later = Html::parse_document(&project.read(&format!("public/{LAB_STORY}index.html")));
    let follows = text(&select(&later, "p.follows-up")[0]);
    assert_eq!(
        follows,
        "Follows up on Junyang Lin steps down as tech lead of Alibaba’s Qwen"
    );
    assert_eq!(
        hrefs(&select(&later, "p.follows-up")[0]),
        [format!("../../{LIN_STORY}")]
    );
    // A story nobody followed up has no such section.
    let plain =
        project.read("public/stories/t-head-unveils-the-zhenwu-810e-ai-processor/index.html");
    assert!(!plain.contains("Followed up in"));
}

#[test]
fn the_watch_page_lists_open_items_by_due_date_and_resolved_ones_with_their_story() {
    let project = built_sample();
    let page = Html::parse_document(&project.read("public/watch/index.html"));
    assert_eq!(text(&select(&page, "h1")[0]), "What to watch");
    assert_eq!(
        text(&select(&page, "p.kicker")[0]),
        "As of issue 5 · 15–21 June 2026"
    );
    let open: Vec<String> = select(&page, "section:nth-of-type(1) li")
        .iter()
        .map(|li| li.attr("id").unwrap().to_owned())
        .collect();
    assert_eq!(open.len(), 16, "{open:?}");
    assert_eq!(
        open[0], "lin-lab-first-model",
        "items with a due date come first"
    );
    let first = text(&select(&page, "li#lin-lab-first-model")[0]);
    assert!(first.contains("Due September 2026"), "{first}");
    assert!(
        first.contains("From Former Qwen lead Junyang Lin’s new AI lab"),
        "{first}"
    );
    let resolved: Vec<String> = select(&page, "section:nth-of-type(2) li")
        .iter()
        .map(|li| li.attr("id").unwrap().to_owned())
        .collect();
    assert_eq!(
        resolved,
        ["lin-next-move", "qwen-more-exits"],
        "latest resolution first"
    );
    let lin = &select(&page, "li#lin-next-move")[0];
    assert!(text(lin).contains("Resolved by Former Qwen lead Junyang Lin’s new AI lab"));
    assert!(hrefs(lin).contains(&format!("../{LAB_STORY}")));
    // The draft's follow-up is left out of a normal build.
    let voice = text(
        &select(
            &page,
            "li#junyang-lin-steps-down-as-tech-lead-of-alibabas-qwen-1",
        )[0],
    );
    assert!(!voice.contains("Update:"), "{voice}");
    let out = project.path("with-drafts");
    let drafts = project.run(&["build", "--drafts", "--out", out.to_str().unwrap()]);
    assert_eq!(drafts.code, 0, "{}", drafts.stderr);
    let page = Html::parse_document(&project.read("with-drafts/watch/index.html"));
    let voice = text(
        &select(
            &page,
            "li#junyang-lin-steps-down-as-tech-lead-of-alibabas-qwen-1",
        )[0],
    );
    assert!(
        voice.contains("Update: Three months on, Qwen still has no public voice"),
        "{voice}"
    );
    // Every page links the watch list.
    assert!(
        project
            .read("public/archive/index.html")
            .contains("href=\"../watch/\"")
    );
    assert!(
        project
            .read("public/sitemap.xml")
            .contains(&format!("<loc>{BASE}watch/</loc>"))
    );
}

fn events(ics: &str) -> Vec<icalendar::Event> {
    let calendar: Calendar = ics.parse().unwrap_or_else(|e| panic!("{e}\n{ics}"));
    calendar
        .components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(event) => Some(event),
            _ => None,
        })
        .collect()
}

#[test]
fn watch_ics_has_an_all_day_event_per_open_item_with_a_due_date() {
    let project = built_sample();
    let ics = project.read("public/watch.ics");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(
        ics.split("\r\n").all(|line| line.len() <= 75),
        "lines are folded"
    );
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    let events = events(&ics);
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        event.get_uid(),
        Some("lin-lab-first-model@briefing.example.org")
    );
    assert_eq!(
        event.get_start(),
        Some(DatePerhapsTime::Date(
            chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap()
        ))
    );
    assert_eq!(
        event.get_end(),
        Some(DatePerhapsTime::Date(
            chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
        ))
    );
    assert_eq!(
        event.get_summary(),
        Some("Watch: The lab’s first model or technical report, and whether its weights are open")
    );
    let description = event.get_description().unwrap();
    assert!(
        description.contains("Due: September 2026."),
        "{description}"
    );
    assert!(description.contains(&format!("{BASE}watch/#lin-lab-first-model")));
    assert!(event.property_value("DTSTAMP").is_some());
}

#[test]
fn watch_ics_leaves_out_resolved_items_and_keeps_overdue_ones_with_text_intact() {
    let project = newsletter(
        "",
        &[
            (
                "2026-W02/early",
                "2026-01-05",
                "what_to_watch:\n  - id: overdue\n    text: \"Commas, semicolons; back\\\\slashes and 北京 \u{1F680} repeated to fold the line well past seventy-five octets\"\n    due: 2026-02-01\n  - id: resolved\n    text: Settled later\n    due: 2026-06\n  - No due date\n",
            ),
            (
                "2026-W10/late",
                "2026-03-02",
                "what_to_watch:\n  - Fresh\nfollows_up:\n  - {id: resolved, resolved: true}\n",
            ),
        ],
    );
    build(&project);
    let events = events(&project.read("public/watch.ics"));
    let uids: Vec<&str> = events.iter().filter_map(|e| e.get_uid()).collect();
    assert_eq!(uids, ["overdue@signals.example.org"]);
    assert_eq!(
        events[0].get_summary(),
        Some(
            "Watch: Commas, semicolons; back\\slashes and 北京 \u{1F680} repeated to fold the line well past seventy-five octets"
        )
    );
}

#[test]
fn briefing_watch_lists_filters_and_prints_json() {
    let project = Project::sample();
    let all = project.run(&["watch", "--as-of", "2026-07-01"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(
        all.stdout
            .starts_with("as of 2026-07-01: 16 open (0 overdue, 12 stale), 2 resolved\n\nOPEN\n  lin-lab-first-model  [due September 2026]\n    The lab’s first model or technical report, and whether its weights are open\n    from: Former Qwen lead Junyang Lin’s new AI lab raises at a $2 billion valuation (2026-06-17, issue 5)\n"),
        "{}",
        all.stdout
    );
    assert!(all.stdout.contains(
        "\nRESOLVED\n  lin-next-move  [resolved 2026-06-17]\n    Where Lin lands next, or what he starts\n    from: Junyang Lin steps down as tech lead of Alibaba’s Qwen (2026-03-03, issue 3)\n    resolved by: Former Qwen lead Junyang Lin’s new AI lab raises at a $2 billion valuation (2026-06-17, issue 5): He founded an AI lab, now valued at about $2 billion.\n"
    ));

    let resolved = project.run(&["watch", "--resolved", "--as-of", "2026-07-01"]);
    assert!(
        resolved
            .stdout
            .starts_with("as of 2026-07-01: 16 open (0 overdue, 12 stale), 2 resolved\n"),
        "the headline counts everything: {}",
        resolved.stdout
    );
    assert!(!resolved.stdout.contains("\nOPEN\n"));
    assert!(resolved.stdout.contains("\nRESOLVED\n"));
    // Before the lab story, Lin's next move was still open.
    let march = project.run(&["watch", "--open", "--as-of", "2026-03-31"]);
    assert!(
        march.stdout.contains("  lin-next-move  [4 weeks old]"),
        "{}",
        march.stdout
    );
    assert!(
        !march.stdout.contains("lin-lab-first-model"),
        "not said yet in March"
    );

    let overdue = project.run(&["watch", "--overdue", "--json", "--as-of", "2026-10-15"]);
    assert_eq!(overdue.code, 0, "{}", overdue.stderr);
    let json: serde_json::Value = serde_json::from_str(&overdue.stdout).unwrap();
    assert_eq!(json["as_of"], "2026-10-15");
    let items = json["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|i| i["state"] == "overdue" || i["state"] == "stale")
    );
    let lab = items
        .iter()
        .find(|i| i["id"] == "lin-lab-first-model")
        .unwrap();
    assert_eq!(lab["state"], "overdue");
    assert_eq!(lab["due"], "2026-09");
    assert_eq!(lab["story"]["url"], format!("{BASE}{LAB_STORY}"));

    let bad = project.run(&["watch", "--as-of", "next week"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("`--as-of next week` is not a date as YYYY-MM-DD, e.g. 2026-06-17")
    );
}

#[test]
fn check_points_at_an_unknown_follow_up_with_a_hint() {
    let project = Project::sample();
    let card = project.read("briefs/2026-W25/lin-new-lab-funding.yaml");
    project.write(
        "briefs/2026-W25/lin-new-lab-funding.yaml",
        card.replace("  - id: lin-next-move\n", "  - id: lin-nxt-move\n"),
    );
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W25/lin-new-lab-funding.yaml:27:9: error: `follows_up` names unknown watch item `lin-nxt-move`"
        ]
    );
    assert!(
        run.stderr.contains(
            "27 |   - id: lin-nxt-move\n   |         ^\n  help: did you mean `lin-next-move`?"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_long_watch_list_is_split_into_pages_that_link_each_other() {
    let mut items = String::from("what_to_watch:\n");
    for i in 0..149 {
        items.push_str(&format!("  - Item {i:03}\n"));
    }
    // The last one is due, so it sorts first and is in the calendar.
    items.push_str("  - id: due-one\n    text: Due item\n    due: 2026-12\n");
    let project = newsletter(
        "",
        &[
            ("2026-W02/big", "2026-01-05", &items),
            (
                "2026-W03/later",
                "2026-01-12",
                "what_to_watch: [Next]\nfollows_up:\n  - {id: big-1, resolved: true}\n",
            ),
        ],
    );
    build(&project);
    let first = Html::parse_document(&project.read("public/watch/index.html"));
    let second = Html::parse_document(&project.read("public/watch/2/index.html"));
    assert!(!project.path("public/watch/3/index.html").exists());
    let ids = |doc: &Html, css: &str| -> Vec<String> {
        select(doc, css)
            .iter()
            .map(|li| li.attr("id").unwrap().to_owned())
            .collect()
    };
    let open_first = ids(&first, "section:nth-of-type(1) li");
    let open_second = ids(&second, "section:nth-of-type(1) li");
    assert_eq!(open_first.len(), 100);
    assert_eq!(open_second.len(), 50, "150 open items: 149 + Next");
    assert_eq!(open_first[0], "due-one", "due items first");
    assert_eq!(open_first[1], "later-1", "then the newest");
    assert_eq!(ids(&first, "section:nth-of-type(2) li"), ["big-1"]);
    assert!(ids(&second, "section:nth-of-type(2) li").is_empty());
    assert_eq!(
        text(&select(&second, "#open-heading")[0]),
        "Open 150 · 101–150 here"
    );
    let pager = |doc: &Html| -> Vec<(String, String)> {
        select(doc, "nav.pager a")
            .iter()
            .map(|a| {
                (
                    a.attr("rel").unwrap().to_owned(),
                    a.attr("href").unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        pager(&first),
        [("next".to_owned(), "../watch/2/".to_owned())]
    );
    assert_eq!(
        pager(&second),
        [("prev".to_owned(), "../../watch/".to_owned())]
    );
    let sitemap = project.read("public/sitemap.xml");
    assert!(sitemap.contains("<loc>https://signals.example.org/watch/2/</loc>"));
    let events = events(&project.read("public/watch.ics"));
    assert_eq!(
        events[0].property_value("URL"),
        Some("https://signals.example.org/watch/#due-one")
    );
}

#[test]
fn a_follow_up_within_one_week_is_not_last_time() {
    let project = newsletter(
        "",
        &[
            (
                "2026-W10/first",
                "2026-03-02",
                "what_to_watch: [Early sign]\n",
            ),
            (
                "2026-W10/second",
                "2026-03-04",
                "what_to_watch: [Next]\nfollows_up: [first-1]\n",
            ),
        ],
    );
    build(&project);
    let page = Html::parse_document(&project.read("public/issues/2026-w10/index.html"));
    assert!(select(&page, "section.follow-ups").is_empty());
    assert_eq!(
        text(&select(&page, "p.follows-up")[0]),
        "Follows up on first"
    );
    assert!(
        !project
            .read("public/issues/2026-w10/email.txt")
            .contains("LAST TIME")
    );
    assert!(
        !project
            .read("public/issues/2026-w10/digest.md")
            .contains("Last time")
    );
}

#[test]
fn briefing_watch_lists_valid_cards_while_another_is_half_written() {
    let project = Project::sample();
    let made = project.run(&["new", "Half written", "--date", "2026-06-18"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let run = project.run(&["watch", "--open", "--as-of", "2026-07-01"]);
    assert_eq!(run.code, 1, "the errors still fail the command");
    assert!(
        run.stdout
            .contains("  lin-lab-first-model  [due September 2026]\n"),
        "the ids a curator needs are listed: {}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("briefs/2026-W25/half-written.yaml:10:1: error: `summary` is empty"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(
        "error: 4 errors in the cards; the items of cards with errors are not listed (`briefing check` shows them all)"
    ));
}

// Regression: the public watch page showed machine ids and an editor's instruction.
// Readers see words: the ids stay in anchors (and in `briefing watch` and its JSON).
#[test]
fn the_public_watch_page_shows_readers_words_not_ids() {
    let project = Project::sample();
    assert_eq!(project.run(&["build"]).code, 0);
    let page = project.read("public/watch/index.html");
    let doc = Html::parse_document(&page);
    let main = doc
        .select(&Selector::parse("main").unwrap())
        .next()
        .expect("a main element");
    let words: String = main.text().collect::<Vec<_>>().join("");
    let ids: Vec<String> = doc
        .select(&Selector::parse("li[id]").unwrap())
        .filter_map(|li| li.value().attr("id").map(str::to_owned))
        .collect();
    assert!(!ids.is_empty(), "items keep their anchors");
    for id in &ids {
        assert!(
            !words.contains(id.as_str()),
            "the id `{id}` is shown to readers"
        );
    }
    assert!(!words.contains("follows_up"), "no editing instruction");
    let lines: Vec<&str> = words
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    insta::assert_snapshot!("public-watch-page", lines.join("\n"));
}
