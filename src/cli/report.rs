//! `warroom report`: the incident report of the demo at a time, with the investigation saved
//! in the data folder (the one `m` and `F` build in the cockpit), as Markdown.

use std::path::PathBuf;

#[derive(Clone, Debug, clap::Args)]
#[command(mut_args(super::hide_flags(super::NOT_FOR_RENDERS)))]
pub struct ReportArgs {
    /// Write the report here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Keys to replay before writing (e.g. "enter enter"), as for `warroom snapshot`.
    #[arg(long, default_value = "")]
    pub keys: String,
    /// Leave the saved investigation out.
    #[arg(long)]
    pub fresh: bool,
    #[command(flatten)]
    pub cockpit: super::CockpitArgs,
}

/// The report's text.
pub fn run(args: &ReportArgs) -> Result<String, String> {
    args.cockpit.refuse("report", super::NOT_FOR_RENDERS)?;
    let (mut app, _) = super::snapshot::replay(&args.cockpit, &args.keys, 48)?;
    if !args.fresh {
        match crate::dirs::load_journal() {
            Ok(Some((inv, _))) => app.investigation = inv,
            Ok(None) => {}
            Err(e) => return Err(format!("cannot read the saved investigation: {e}")),
        }
    }
    // Screens are linked relative to where the report is written.
    let dir = match &args.out {
        Some(p) => p
            .parent()
            .map(|d| {
                if d.as_os_str().is_empty() {
                    std::path::PathBuf::from(".")
                } else {
                    d.to_path_buf()
                }
            })
            .and_then(|d| std::fs::canonicalize(&d).ok().or(Some(d))),
        None => crate::dirs::data_dir().map(|d| d.join("reports")),
    };
    let text = app.report_text(dir);
    if let Some(p) = &args.out {
        std::fs::write(p, &text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    Ok(text)
}
