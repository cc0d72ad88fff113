//! The dashboard's charts: inline SVG bars (no script, no external asset),
//! drawn by one helper, [`bars`].

use maud::{html, Markup};

/// How a chart draws its bars.
struct Chart<'a> {
    /// What the chart shows, for screen readers.
    label: &'a str,
    width: usize,
    height: usize,
    /// The tallest bar's height.
    plot: usize,
    /// The bars' bottom edge.
    baseline: usize,
    /// The first bar's left edge and the distance from one bar to the next.
    left: usize,
    step: usize,
    bar_width: usize,
    /// Heights round up (a sparkline's small days stay visible), else down.
    round_up: bool,
}

/// One bar: its slot from the left, its value and an optional tooltip.
struct Bar<'a> {
    slot: usize,
    value: i64,
    title: Option<&'a str>,
}

/// The bars of `chart`, each at least 1 pixel tall and scaled to `max`, then `caption`.
fn bars(chart: &Chart<'_>, max: i64, bars: &[Bar<'_>], caption: Markup) -> Markup {
    let Chart { label, width, height, plot, baseline, left, step, bar_width, round_up } = *chart;
    let height_of = |n: i64| {
        let h = n as f64 / max as f64 * plot as f64;
        (if round_up { h.ceil() } else { h }).max(1.0) as usize
    };
    html! {
        svg role="img" aria-label=(label) width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) } {
            @for b in bars {
                @let h = height_of(b.value);
                rect class="bar" x=(left + b.slot * step) y=(baseline - h) width=(bar_width) height=(h) {
                    @if let Some(t) = b.title { title { (t) ": " (b.value) } }
                }
            }
            (caption)
        }
    }
}

/// Reports per hour (`YYYY-MM-DD HH:00`, reports) over the last 48 hours.
pub(crate) fn hourly(hourly: &[(String, i64)]) -> Markup {
    if hourly.is_empty() {
        return html! { p { "No reports in the last 48 hours." } };
    }
    let max = hourly.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let plot = 120;
    let chart = Chart {
        label: "reports per hour",
        // Wide enough for the caption even with a single hour of data.
        width: (hourly.len() * 14 + 20).max(160),
        height: plot + 20,
        plot,
        baseline: plot + 5,
        left: 10,
        step: 14,
        bar_width: 10,
        round_up: false,
    };
    let list: Vec<Bar<'_>> =
        hourly.iter().enumerate().map(|(slot, (hour, n))| Bar { slot, value: *n, title: Some(hour) }).collect();
    let caption = html! { text x="10" y=(plot + 18) font-size="10" { "max " (max) "/hour" } };
    bars(&chart, max, &list, caption)
}

/// Reports per day (`YYYY-MM-DD`, reports) from day `from` for `days` days:
/// a sparkline, or a sentence when there is none.
pub(crate) fn sparkline(daily: &[(String, i64)], from: &str, days: u64) -> Markup {
    let start = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").ok();
    let mut per_day = vec![0i64; days as usize];
    for (day, n) in daily {
        let i = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok().zip(start).map(|(d, s)| (d - s).num_days());
        if let Some(slot) = i.and_then(|i| usize::try_from(i).ok()).and_then(|i| per_day.get_mut(i)) {
            *slot += n;
        }
    }
    let total: i64 = per_day.iter().sum();
    let Some((peak_at, &peak)) = per_day.iter().enumerate().max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i))) else {
        return html! {};
    };
    if total == 0 {
        return html! { "no reports in " (days) " days" };
    }
    let peak_day = start.map(|s| (s + chrono::Duration::days(peak_at as i64)).to_string()).unwrap_or_default();
    let label =
        format!("{total} report{} in {days} days, most on {peak_day} ({peak})", if total == 1 { "" } else { "s" });
    let plot = 20;
    let chart = Chart {
        label: &label,
        width: days as usize * 3,
        height: plot,
        plot,
        baseline: plot,
        left: 0,
        step: 3,
        bar_width: 2,
        round_up: true,
    };
    let list: Vec<Bar<'_>> = per_day
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(slot, n)| Bar { slot, value: *n, title: None })
        .collect();
    bars(&chart, peak, &list, html! {})
}
