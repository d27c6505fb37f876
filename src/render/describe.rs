//! The human form of `describe`: which keys Istio reads, every certificate, then the checks.

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use super::time;
use crate::istio::checks::{CertificateEntry, Report, Status};

/// How to draw: colour only for terminals that want it, width only when known.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub width: Option<u16>,
}

fn table(style: Style) -> Table {
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    // We decide about colour ourselves (NO_COLOR, terminals); comfy-table must not guess.
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    if let Some(width) = style.width {
        table.set_content_arrangement(ContentArrangement::Dynamic).set_width(width);
    }
    table
}

fn status_cell(status: Status, style: Style) -> Cell {
    let cell = Cell::new(status.to_string());
    if !style.color {
        return cell;
    }
    match status {
        Status::Ok => cell.fg(Color::Green),
        Status::Warn => cell.fg(Color::Yellow),
        Status::Fail => cell.fg(Color::Red).add_attribute(Attribute::Bold),
    }
}

pub fn render(report: &Report, now: i64, style: Style) -> String {
    let mut out = format!("Credential {}/{}\n\n", report.namespace, report.credential);

    let mut keys = table(style);
    keys.set_header(["SECRET", "KEY", "ROLE", "READ BY ISTIO"]);
    for key in &report.keys {
        let read = if key.read { "yes".to_string() } else { format!("no: {}", key.note) };
        keys.add_row([key.secret.clone(), key.key.clone(), key.role.to_string(), read]);
    }
    out.push_str(&trim_lines(&mut keys));
    out.push('\n');

    for entry in &report.certificates {
        out.push('\n');
        out.push_str(&certificate(entry, now, style));
    }
    if let Some(crl) = &report.crl {
        out.push_str(&format!("\nCRL {}\n", crl.source));
        let mut t = table(style);
        t.add_row(["  Issuer", crl.facts.issuer.as_str()]);
        t.add_row(["  Last update".to_string(), time::date(crl.facts.last_update)]);
        t.add_row([
            "  Next update".to_string(),
            crl.facts.next_update.map(time::date).unwrap_or_else(|| "none".into()),
        ]);
        t.add_row(["  Revoked".to_string(), crl.facts.revoked.to_string()]);
        t.add_row([
            "  Signed by".to_string(),
            crl.facts.signed_by.clone().unwrap_or_else(|| "no CA in the bundle".into()),
        ]);
        out.push_str(&trim_lines(&mut t));
        out.push('\n');
    }

    out.push_str("\nChecks\n");
    let mut checks = table(style);
    checks.set_header(["STATUS", "CHECK", "DETAIL"]);
    for check in &report.checks {
        checks.add_row(vec![status_cell(check.status, style), Cell::new(check.id), Cell::new(&check.message)]);
    }
    out.push_str(&trim_lines(&mut checks));
    out.push('\n');
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    out.push_str(&format!("\n{} ok, {} warn, {} fail\n", count(Status::Ok), count(Status::Warn), count(Status::Fail)));
    out
}

fn certificate(entry: &CertificateEntry, now: i64, style: Style) -> String {
    let f = &entry.facts;
    let mut out = format!("Certificate {} #{} ({})\n", entry.source, entry.index, entry.role);
    let mut t = table(style);
    let none = || "none".to_string();
    t.add_row(["  Subject".to_string(), if f.subject.is_empty() { "(empty)".into() } else { f.subject.clone() }]);
    t.add_row(["  Issuer".to_string(), f.issuer.clone()]);
    match &f.sans {
        None => {
            t.add_row(["  SANs".to_string(), "none (no subjectAltName extension)".to_string()]);
        }
        Some(sans) => {
            for (kind, list) in [("DNS", &sans.dns), ("URI", &sans.uri), ("IP", &sans.ip), ("Email", &sans.email)] {
                if !list.is_empty() {
                    t.add_row([format!("  SAN {kind}"), list.join(", ")]);
                }
            }
        }
    }
    t.add_row(["  Not before".to_string(), time::date(f.not_before)]);
    t.add_row([
        "  Not after".to_string(),
        format!("{} ({})", time::date(f.not_after), time::remaining(f.not_before, f.not_after, now)),
    ]);
    t.add_row(["  Serial".to_string(), f.serial.clone()]);
    t.add_row(["  Public key".to_string(), f.public_key.to_string()]);
    t.add_row(["  Signature".to_string(), f.signature_algorithm.clone()]);
    t.add_row(["  SHA-256".to_string(), f.sha256_fingerprint.clone()]);
    let ca = match (f.is_ca, f.path_len) {
        (true, Some(n)) => format!("yes (path length {n})"),
        (true, None) => "yes".to_string(),
        (false, _) => "no".to_string(),
    };
    t.add_row(["  CA".to_string(), ca]);
    t.add_row(["  Key usage".to_string(), f.key_usage.as_ref().map(|k| k.join(", ")).unwrap_or_else(none)]);
    t.add_row([
        "  Extended key usage".to_string(),
        f.extended_key_usage.as_ref().map(|k| k.join(", ")).unwrap_or_else(none),
    ]);
    out.push_str(&trim_lines(&mut t));
    out.push('\n');
    out
}

/// Renders without comfy-table's one-space left margin and without trailing spaces, so the
/// output lines up like kubectl's.
fn trim_lines(table: &mut Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table.to_string().lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}
