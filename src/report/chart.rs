//! Inline SVG charts: no scripts, no fonts fetched, same input same bytes.
//! Colours come from CSS classes on the page (`s-pass`, `s-hull`, ...).

use maud::{html, Markup};

/// One horizontal stacked bar: a label and (count, CSS class, legend) parts.
pub struct StackRow<'a> {
    pub label: &'a str,
    pub parts: Vec<(usize, &'static str, &'static str)>,
}

const LABEL_W: f64 = 170.0;
const ROW_H: f64 = 16.0;

/// Stacked horizontal bars, all on one count scale.
pub fn stacked_rows(rows: &[StackRow], width: f64) -> Markup {
    let max = rows
        .iter()
        .map(|r| r.parts.iter().map(|p| p.0).sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let bar_w = width - LABEL_W - 60.0;
    let height = ROW_H * rows.len() as f64 + 4.0;
    // Each part's (x, width), left to right.
    let spans = |row: &StackRow| -> Vec<(f64, f64)> {
        let mut x = LABEL_W;
        row.parts
            .iter()
            .map(|p| {
                let w = bar_w * p.0 as f64 / max;
                x += w;
                (x - w, w)
            })
            .collect()
    };
    html! {
        svg class="chart" role="img" width=(width) height=(height)
            viewBox=(format!("0 0 {width} {height}")) xmlns="http://www.w3.org/2000/svg" {
            @for (i, row) in rows.iter().enumerate() {
                @let y = ROW_H * i as f64 + 2.0;
                @let spans = spans(row);
                text x=(LABEL_W - 6.0) y=(y + 11.0) text-anchor="end" class="lbl" { (row.label) }
                @for ((count, class, legend), (x, w)) in row.parts.iter().zip(&spans) {
                    @if *count > 0 {
                        rect x=(fmt(*x)) y=(y) width=(fmt(w.max(0.5))) height=(ROW_H - 3.0) class=(class) {
                            title { (row.label) ": " (count) " " (legend) }
                        }
                    }
                }
                @let end = spans.last().map_or(LABEL_W, |(x, w)| x + w);
                text x=(fmt(end + 4.0)) y=(y + 11.0) class="num" {
                    (row.parts.iter().map(|p| p.0).sum::<usize>())
                }
            }
        }
    }
}

/// One bar of a [`log_bars`] group.
pub struct Bar {
    pub value: f64,
    pub class: &'static str,
    pub legend: &'static str,
}

/// Grouped horizontal bars on a log10 scale, one group per label.
pub fn log_bars(groups: &[(String, Vec<Bar>)], unit: &str) -> Markup {
    let (lo, hi) = decades(groups.iter().flat_map(|g| g.1.iter().map(|b| b.value)));
    let width = 760.0;
    let bar_w = width - LABEL_W - 110.0;
    let bar_h = 12.0;
    let scale = |v: f64| bar_w * (v.max(10f64.powi(lo)).log10() - lo as f64) / (hi - lo) as f64;
    // The top of each group, then 6px between groups.
    let mut tops = Vec::new();
    let mut y = 2.0;
    for g in groups {
        tops.push(y);
        y += g.1.len() as f64 * (bar_h + 2.0) + 6.0;
    }
    let height = y + 22.0;
    html! {
        svg class="chart" role="img" width=(width) height=(fmt(height))
            viewBox=(format!("0 0 {width} {}", fmt(height))) xmlns="http://www.w3.org/2000/svg" {
            @for d in lo..=hi {
                @let x = LABEL_W + scale(10f64.powi(d));
                line x1=(fmt(x)) x2=(fmt(x)) y1="0" y2=(fmt(height - 18.0)) class="grid" {}
                text x=(fmt(x)) y=(fmt(height - 6.0)) text-anchor="middle" class="tick" { (power_label(d)) }
            }
            @for ((label, bars), top) in groups.iter().zip(&tops) {
                text x=(LABEL_W - 6.0) y=(fmt(top + 10.0)) text-anchor="end" class="lbl" { (label) }
                @for (i, b) in bars.iter().enumerate() {
                    @let y = top + i as f64 * (bar_h + 2.0);
                    rect x=(LABEL_W) y=(fmt(y)) width=(fmt(scale(b.value).max(0.5))) height=(bar_h) class=(b.class) {
                        title { (label) " (" (b.legend) "): " (si(b.value)) " " (unit) }
                    }
                    text x=(fmt(LABEL_W + scale(b.value) + 4.0)) y=(fmt(y + 10.0)) class="num" {
                        (si(b.value)) " " (b.legend)
                    }
                }
            }
        }
    }
}

/// One line of a line chart.
pub struct Series {
    pub name: String,
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// A line chart with log10 axes on both sides.
pub fn log_log_lines(series: &[Series], x_label: &str, y_label: &str) -> Markup {
    let (x_lo, x_hi) = decades(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let (y_lo, y_hi) = decades(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let (width, height) = (760.0, 300.0);
    let (left, right, top, bottom) = (70.0, 120.0, 10.0, 40.0);
    let px = |x: f64| {
        left + (width - left - right) * (x.max(1e-300).log10() - x_lo as f64) / (x_hi - x_lo) as f64
    };
    let py = |y: f64| {
        height
            - bottom
            - (height - top - bottom) * (y.max(1e-300).log10() - y_lo as f64) / (y_hi - y_lo) as f64
    };
    html! {
        svg class="chart" role="img" width=(width) height=(height)
            viewBox=(format!("0 0 {width} {height}")) xmlns="http://www.w3.org/2000/svg" {
            @for d in x_lo..=x_hi {
                line x1=(fmt(px(10f64.powi(d)))) x2=(fmt(px(10f64.powi(d)))) y1=(top) y2=(height - bottom) class="grid" {}
                text x=(fmt(px(10f64.powi(d)))) y=(height - bottom + 14.0) text-anchor="middle" class="tick" { (power_label(d)) }
            }
            @for d in y_lo..=y_hi {
                line x1=(left) x2=(width - right) y1=(fmt(py(10f64.powi(d)))) y2=(fmt(py(10f64.powi(d)))) class="grid" {}
                text x=(left - 6.0) y=(fmt(py(10f64.powi(d)) + 4.0)) text-anchor="end" class="tick" { (power_label(d)) }
            }
            text x=(fmt((left + width - right) / 2.0)) y=(height - 6.0) text-anchor="middle" class="lbl" { (x_label) }
            text x="14" y=(fmt((top + height - bottom) / 2.0)) text-anchor="middle" class="lbl"
                transform=(format!("rotate(-90 14 {})", fmt((top + height - bottom) / 2.0))) { (y_label) }
            @for (i, s) in series.iter().enumerate() {
                @let points: Vec<String> = s.points.iter().map(|&(x, y)| format!("{},{}", fmt(px(x)), fmt(py(y)))).collect();
                polyline points=(points.join(" ")) class=(format!("line {}", s.class)) {
                    title { (s.name) }
                }
                @for &(x, y) in &s.points {
                    circle cx=(fmt(px(x))) cy=(fmt(py(y))) r="2.5" class=(s.class) {
                        title { (s.name) ": " (si(y)) " at " (x_label) " " (si(x)) }
                    }
                }
                rect x=(width - right + 12.0) y=(top + 18.0 * i as f64) width="12" height="10" class=(s.class) {}
                text x=(width - right + 30.0) y=(top + 18.0 * i as f64 + 9.0) class="lbl" { (s.name) }
            }
        }
    }
}

/// The decades spanning `values` (positive ones), at least one wide.
fn decades(values: impl Iterator<Item = f64>) -> (i32, i32) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| *v > 0.0 && v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0, 1);
    }
    let (lo, hi) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (lo, hi.max(lo + 1))
}

fn power_label(d: i32) -> String {
    match d {
        -6..=-1 => format!("{}", 10f64.powi(d)),
        0..=2 => format!("{}", 10i64.pow(d as u32)),
        3..=5 => format!("{}K", 10i64.pow(d as u32 - 3)),
        6..=8 => format!("{}M", 10i64.pow(d as u32 - 6)),
        _ => format!("1e{d}"),
    }
}

/// A number with an SI suffix, three significant digits.
pub fn si(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    let digits = if scaled.abs() >= 100.0 {
        0
    } else if scaled.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{scaled:.digits$}{suffix}")
}

/// Coordinates with one decimal: stable text, small files.
fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_cover_the_values() {
        assert_eq!(decades([3.0, 250.0].into_iter()), (0, 3));
        assert_eq!(decades([1000.0].into_iter()), (3, 4));
        assert_eq!(decades(std::iter::empty()), (0, 1));
        assert_eq!(si(183_456.0), "183K");
        assert_eq!(si(2.5), "2.50");
        assert_eq!(power_label(5), "100K");
    }
}
