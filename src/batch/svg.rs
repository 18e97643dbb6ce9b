//! Small self-contained SVG charts for the batch report: no scripts, no fonts, no
//! external references, the same bytes for the same numbers.

use std::fmt::Write;

const WIDTH: f64 = 720.0;

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fmt(x: f64) -> String {
    format!("{:.1}", x)
}

/// Horizontal paired bars: for each label, `before` (grey) and `after` (blue).
pub fn paired_bars(title: &str, rows: &[(String, f64, f64)]) -> String {
    let label_width = 190.0;
    let row_height = 18.0;
    let top = 28.0;
    let height = top + rows.len() as f64 * row_height + 10.0;
    let max = rows
        .iter()
        .map(|r| r.1.max(r.2))
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let scale = (WIDTH - label_width - 70.0) / max;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\">",
        w = WIDTH,
        h = fmt(height),
        t = escape(title)
    );
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"14\" class=\"chart-title\">{}</text>\
         <rect x=\"{}\" y=\"4\" width=\"10\" height=\"10\" class=\"before\"/><text x=\"{}\" y=\"13\" class=\"legend\">now</text>\
         <rect x=\"{}\" y=\"4\" width=\"10\" height=\"10\" class=\"after\"/><text x=\"{}\" y=\"13\" class=\"legend\">end of quarter</text>",
        escape(title),
        fmt(WIDTH - 200.0),
        fmt(WIDTH - 186.0),
        fmt(WIDTH - 140.0),
        fmt(WIDTH - 126.0)
    );
    for (k, (label, before, after)) in rows.iter().enumerate() {
        let y = top + k as f64 * row_height;
        let _ = write!(
            svg,
            "<text x=\"{lx}\" y=\"{ty}\" class=\"label\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{x}\" y=\"{y1}\" width=\"{wb}\" height=\"6\" class=\"before\"/>\
             <rect x=\"{x}\" y=\"{y2}\" width=\"{wa}\" height=\"7\" class=\"after\"/>\
             <text x=\"{vx}\" y=\"{ty}\" class=\"value\">{before} &#8594; {after}</text>",
            lx = fmt(label_width - 6.0),
            ty = fmt(y + 11.0),
            label = escape(label),
            x = fmt(label_width),
            y1 = fmt(y + 1.0),
            y2 = fmt(y + 7.0),
            wb = fmt(before * scale),
            wa = fmt(after * scale),
            vx = fmt(label_width + before.max(*after) * scale + 4.0),
            before = crate::batch::short(*before),
            after = crate::batch::short(*after),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical grouped bars: one group per category (period), one bar per series
/// (resource), values in percent.
pub fn grouped_percent_bars(
    title: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
) -> String {
    let height = 200.0;
    let left = 40.0;
    let bottom = 170.0;
    let top = 30.0;
    // Bars stop short of the legend's column on the right.
    let group = (WIDTH - left - 170.0) / categories.len().max(1) as f64;
    let bar = (group - 16.0) / series.len().max(1) as f64;
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let scale = (bottom - top) / max;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\">\
         <text x=\"0\" y=\"14\" class=\"chart-title\">{t}</text>\
         <line x1=\"{l}\" y1=\"{b}\" x2=\"{w}\" y2=\"{b}\" class=\"axis\"/>",
        w = WIDTH,
        h = fmt(height),
        t = escape(title),
        l = fmt(left),
        b = fmt(bottom)
    );
    for (c, category) in categories.iter().enumerate() {
        let gx = left + c as f64 * group + 8.0;
        for (k, (name, values)) in series.iter().enumerate() {
            let v = values.get(c).copied().unwrap_or(0.0).max(0.0);
            let x = gx + k as f64 * bar;
            let _ = write!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"series{}\"><title>{} {}: {:.1}%</title></rect>",
                fmt(x),
                fmt(bottom - v * scale),
                fmt((bar - 2.0).max(1.0)),
                fmt(v * scale),
                k % 6,
                escape(name),
                escape(category),
                v
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"middle\">{}</text>",
            fmt(gx + group / 2.0 - 8.0),
            fmt(bottom + 16.0),
            escape(category)
        );
    }
    for (k, (name, _)) in series.iter().enumerate() {
        let x = WIDTH - 150.0;
        let y = 24.0 + k as f64 * 14.0;
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" class=\"series{}\"/><text x=\"{}\" y=\"{}\" class=\"legend\">{}</text>",
            fmt(x),
            fmt(y - 9.0),
            k % 6,
            fmt(x + 14.0),
            fmt(y),
            escape(name)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" class=\"legend\" text-anchor=\"end\">{:.0}%</text>",
        fmt(left - 4.0),
        fmt(top + 4.0),
        max
    );
    svg.push_str("</svg>");
    svg
}

/// A line through (x, y) points with markers: a frontier.
pub fn line(title: &str, x_label: &str, points: &[(f64, f64)]) -> String {
    let height = 240.0;
    let (left, right, top, bottom) = (70.0, WIDTH - 20.0, 30.0, 200.0);
    let (x0, x1) = bounds(points.iter().map(|p| p.0));
    let (y0, y1) = bounds(points.iter().map(|p| p.1));
    let sx = |x: f64| left + (x - x0) / (x1 - x0) * (right - left);
    let sy = |y: f64| bottom - (y - y0) / (y1 - y0) * (bottom - top);
    let path: Vec<String> = points
        .iter()
        .map(|&(x, y)| format!("{},{}", fmt(sx(x)), fmt(sy(y))))
        .collect();
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\">\
         <text x=\"0\" y=\"14\" class=\"chart-title\">{t}</text>\
         <line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" class=\"axis\"/>\
         <line x1=\"{l}\" y1=\"{tp}\" x2=\"{l}\" y2=\"{b}\" class=\"axis\"/>\
         <polyline points=\"{p}\" class=\"frontier\"/>",
        w = WIDTH,
        h = fmt(height),
        t = escape(title),
        l = fmt(left),
        r = fmt(right),
        b = fmt(bottom),
        tp = fmt(top),
        p = path.join(" ")
    );
    for &(x, y) in points {
        let _ = write!(
            svg,
            "<circle cx=\"{}\" cy=\"{}\" r=\"3\" class=\"marker\"><title>{}: {}</title></circle>\
             <text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"middle\">{}</text>",
            fmt(sx(x)),
            fmt(sy(y)),
            x,
            crate::batch::short(y),
            fmt(sx(x)),
            fmt(bottom + 16.0),
            x
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" class=\"legend\" text-anchor=\"end\">{}</text>\
         <text x=\"{}\" y=\"{}\" class=\"legend\" text-anchor=\"end\">{}</text>\
         <text x=\"{}\" y=\"{}\" class=\"legend\" text-anchor=\"middle\">{}</text>",
        fmt(left - 6.0),
        fmt(top + 4.0),
        crate::batch::short(y1),
        fmt(left - 6.0),
        fmt(bottom),
        crate::batch::short(y0),
        fmt((left + right) / 2.0),
        fmt(height - 6.0),
        escape(x_label)
    );
    svg.push_str("</svg>");
    svg
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    }
}
