//! `hullvm model`: the transformer's shape, and optionally its weights.

use anyhow::Result;
use hullvm::decode::Decoder;
use hullvm::weights::{nonzeros, Model};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Save as OUTPUT.safetensors and OUTPUT.json.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The published machine (the 36 core ops alone), which decodes every
    /// program that uses no extension op, instead of the built one.
    #[arg(long)]
    published: bool,
}

pub fn run(args: Args) -> Result<()> {
    let files = args.output.as_ref().map(|base| base.with_extension("json"));
    super::prepare(files.as_deref())?;
    let model = if args.published {
        hullvm::transformer::build_published()
    } else {
        hullvm::build_model()
    };
    print!("{}", card(&model));
    print!("{}", Decoder::new(model.clone()).describe_plans());
    if let Some(path) = args.output {
        model.save(&path)?;
        eprintln!(
            "saved {} and {}",
            path.with_extension("safetensors").display(),
            path.with_extension("json").display()
        );
    }
    Ok(())
}

/// Shape, non-zero weights per matrix, and what each head looks up.
fn card(model: &Model) -> String {
    let c = &model.config;
    let mut s = format!(
        "layers {}\nd_model {}\nheads per layer {} (dimension 2)\nd_ffn {}\nvocab {}{}\n",
        c.layers,
        c.d_model,
        c.heads,
        c.d_ffn,
        c.vocab.len(),
        extension(&c.vocab)
    );
    let mut total = (0, 0);
    for (name, m) in model.tensors() {
        let (nz, all) = (nonzeros(m), m.len());
        total.0 += nz;
        total.1 += all;
        s += &format!(
            "  {name:<22} {:>4} x {:<4} {nz:>6} non-zero\n",
            m.nrows(),
            m.ncols()
        );
    }
    s += &format!(
        "non-zero weights {} of {} ({:.1}% zeros)\n",
        total.0,
        total.1,
        100.0 * (1.0 - total.0 as f64 / total.1 as f64)
    );
    for (l, heads) in c.head_info.iter().enumerate() {
        let names: Vec<String> = heads
            .iter()
            .map(|h| format!("{} ({:?})", h.name, h.tie))
            .collect();
        s += &format!("layer {l} heads: {}\n", names.join(", "));
    }
    s
}

/// What the vocabulary adds to the published one: hullvm's own ops.
fn extension(vocab: &[String]) -> String {
    match vocab.get(hullvm::isa::PUBLISHED_VOCAB..) {
        Some(added) if !added.is_empty() => format!(
            " (the published {}, then the extension ops {})",
            hullvm::isa::PUBLISHED_VOCAB,
            added.join(" ")
        ),
        _ => String::new(),
    }
}
