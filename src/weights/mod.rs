//! The model as plain data: configuration and weight matrices, saved as
//! safetensors plus a JSON config. The transformer stage writes it; the
//! decoder reads it; neither knows the other.
//!
//! A model read from files is validated here ([`Model::validate`]) before
//! any decoder sees it: every shape against the config, every weight
//! finite, the heads and tie rules of each layer, the position slots and
//! stop token in range, and the vocabulary hullvm's own ([`Vocab`]).

use crate::isa::Vocab;
use anyhow::{bail, ensure, Context as _, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// How a head resolves several keys with the same top score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tie {
    /// Mean of the tied values (a cumulative sum divides by the count).
    Average,
    /// The value at the most recent tied position.
    Latest,
}

/// What one attention head looks up, for the model card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeadInfo {
    pub name: String,
    pub tie: Tie,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelConfig {
    pub vocab: Vec<String>,
    pub d_model: usize,
    pub layers: usize,
    /// Heads per layer (each of dimension 2).
    pub heads: usize,
    /// FFN hidden width per layer.
    pub d_ffn: usize,
    /// Slots the position features p and p^2 are added to.
    pub position_slots: [usize; 2],
    /// Token id that stops generation.
    pub stop_token: u16,
    /// Per layer, per head (unused heads have no entry).
    pub head_info: Vec<Vec<HeadInfo>>,
}

/// One decoder layer: 2D attention heads, then a ReGLU FFN.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// (2 * heads) x d_model each.
    pub query: Array2<f64>,
    pub key: Array2<f64>,
    pub value: Array2<f64>,
    /// d_model x (2 * heads).
    pub output: Array2<f64>,
    /// d_ffn x d_model each.
    pub ffn_gate: Array2<f64>,
    pub ffn_value: Array2<f64>,
    /// d_model x d_ffn.
    pub ffn_out: Array2<f64>,
    pub ties: Vec<Tie>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub config: ModelConfig,
    /// vocab x d_model.
    pub embedding: Array2<f64>,
    pub layers: Vec<Layer>,
    /// vocab x d_model: the output score of each token.
    pub unembedding: Array2<f64>,
}

/// What each layer holds, by the name's suffix after `layers.{l}.`.
const LAYER_TENSORS: [&str; 7] = [
    "attn.query",
    "attn.key",
    "attn.value",
    "attn.output",
    "ffn.gate",
    "ffn.value",
    "ffn.out",
];

/// Count of non-zero entries.
pub fn nonzeros(a: &Array2<f64>) -> usize {
    a.iter().filter(|&&x| x != 0.0).count()
}

impl Model {
    /// Every named matrix, in a stable order.
    pub fn tensors(&self) -> Vec<(String, &Array2<f64>)> {
        let mut t = vec![("embedding".to_string(), &self.embedding)];
        for (l, layer) in self.layers.iter().enumerate() {
            let matrices = [
                &layer.query,
                &layer.key,
                &layer.value,
                &layer.output,
                &layer.ffn_gate,
                &layer.ffn_value,
                &layer.ffn_out,
            ];
            for (name, m) in LAYER_TENSORS.iter().zip(matrices) {
                t.push((format!("layers.{l}.{name}"), m));
            }
        }
        t.push(("unembedding".to_string(), &self.unembedding));
        t
    }

    /// Every named matrix, mutable, in the order of [`Model::tensors`]
    /// (gradient steps and finite-difference checks change them in place).
    pub fn tensors_mut(&mut self) -> Vec<(String, &mut Array2<f64>)> {
        let mut t = vec![("embedding".to_string(), &mut self.embedding)];
        for (l, layer) in self.layers.iter_mut().enumerate() {
            let matrices = [
                &mut layer.query,
                &mut layer.key,
                &mut layer.value,
                &mut layer.output,
                &mut layer.ffn_gate,
                &mut layer.ffn_value,
                &mut layer.ffn_out,
            ];
            for (name, m) in LAYER_TENSORS.iter().zip(matrices) {
                t.push((format!("layers.{l}.{name}"), m));
            }
        }
        t.push(("unembedding".to_string(), &mut self.unembedding));
        t
    }

    /// The shape (rows, columns) the config gives the tensor `name`.
    fn expected_shape(&self, name: &str) -> (usize, usize) {
        let c = &self.config;
        let (d, h2) = (c.d_model, 2 * c.heads);
        let suffix = name
            .strip_prefix("layers.")
            .and_then(|rest| rest.split_once('.'))
            .map_or(name, |(_, suffix)| suffix);
        match suffix {
            "attn.query" | "attn.key" | "attn.value" => (h2, d),
            "attn.output" => (d, h2),
            "ffn.gate" | "ffn.value" => (c.d_ffn, d),
            "ffn.out" => (d, c.d_ffn),
            // embedding, unembedding
            _ => (c.vocab.len(), d),
        }
    }

    /// Whether the decoder can run this model: the vocabulary is hullvm's,
    /// every matrix has the shape the config gives it and only finite
    /// weights, each layer has a tie rule per head and at most that many
    /// described heads, and the position slots and stop token are in range.
    /// The error names the first offending field or tensor.
    pub fn validate(&self) -> Result<()> {
        let c = &self.config;
        let vocab = Vocab::get();
        ensure!(
            c.vocab.len() == vocab.len(),
            "the vocabulary has {} tokens, hullvm's has {}",
            c.vocab.len(),
            vocab.len()
        );
        if let Some((name, t)) = c
            .vocab
            .iter()
            .zip(vocab.tokens())
            .find(|(name, t)| name.as_str() != t.name())
        {
            bail!(
                "vocabulary token {} is {name:?}, hullvm's is {:?}",
                t.id(),
                t.name()
            );
        }
        for (i, &slot) in c.position_slots.iter().enumerate() {
            ensure!(
                slot < c.d_model,
                "position_slots[{i}] is {slot}, outside d_model {}",
                c.d_model
            );
        }
        ensure!(
            c.position_slots[0] != c.position_slots[1],
            "position_slots are both {}",
            c.position_slots[0]
        );
        ensure!(
            usize::from(c.stop_token) < vocab.len(),
            "stop_token {} is outside the vocabulary of {}",
            c.stop_token,
            vocab.len()
        );
        ensure!(
            self.layers.len() == c.layers,
            "the config says {} layers, the model has {}",
            c.layers,
            self.layers.len()
        );
        ensure!(
            c.head_info.len() == c.layers,
            "head_info describes {} layers, the config says {}",
            c.head_info.len(),
            c.layers
        );
        for (l, (layer, info)) in self.layers.iter().zip(&c.head_info).enumerate() {
            ensure!(
                layer.ties.len() == c.heads,
                "layers.{l}: {} tie rules for {} heads",
                layer.ties.len(),
                c.heads
            );
            ensure!(
                info.len() <= c.heads,
                "head_info of layer {l} describes {} heads, the config says {}",
                info.len(),
                c.heads
            );
            for (h, head) in info.iter().enumerate() {
                ensure!(
                    head.tie == layer.ties[h],
                    "layers.{l} head {h} ({}): head_info's tie is {:?}, the layer's is {:?}",
                    head.name,
                    head.tie,
                    layer.ties[h]
                );
            }
        }
        for (name, m) in self.tensors() {
            let want = self.expected_shape(&name);
            ensure!(
                m.dim() == want,
                "tensor {name} is {} x {}, the config makes it {} x {}",
                m.nrows(),
                m.ncols(),
                want.0,
                want.1
            );
            if let Some(((r, col), x)) = m.indexed_iter().find(|(_, x)| !x.is_finite()) {
                bail!("tensor {name}: weight ({r}, {col}) is {x}, not finite");
            }
        }
        Ok(())
    }

    /// Save as `<base>.safetensors` and `<base>.json`.
    pub fn save(&self, base: &Path) -> Result<()> {
        let tensors = self.tensors();
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
            .iter()
            .map(|(n, m)| {
                let data = m.iter().flat_map(|x| x.to_le_bytes()).collect();
                (n.clone(), data, m.shape().to_vec())
            })
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView)> = bytes
            .iter()
            .map(|(n, data, shape)| {
                let view = safetensors::tensor::TensorView::new(
                    safetensors::Dtype::F64,
                    shape.clone(),
                    data,
                )
                .expect("shape matches data");
                (n.clone(), view)
            })
            .collect();
        let st = safetensors::serialize(views, None).context("serialising tensors")?;
        let mut ties = HashMap::new();
        for (l, layer) in self.layers.iter().enumerate() {
            ties.insert(format!("layers.{l}"), layer.ties.clone());
        }
        let config = serde_json::json!({ "config": self.config, "ties": ties });
        // The two files are one model: replaced together or not at all.
        crate::files::write_all_atomically(&[
            (&base.with_extension("safetensors"), &st),
            (
                &base.with_extension("json"),
                serde_json::to_string_pretty(&config)?.as_bytes(),
            ),
        ])
    }

    /// Read `<base>.safetensors` and `<base>.json`, and [`Model::validate`]
    /// what they hold: a model that disagrees with itself or with hullvm is
    /// an error naming the file and the tensor or field, never a decoder
    /// that panics or decodes garbage.
    pub fn load(base: &Path) -> Result<Model> {
        Model::read(base)
            .and_then(|m| m.validate().map(|()| m))
            .with_context(|| format!("{} is not a model hullvm can run", base.display()))
    }

    fn read(base: &Path) -> Result<Model> {
        let json_path = base.with_extension("json");
        let st_path = base.with_extension("safetensors");
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&json_path)
                .with_context(|| format!("cannot read {}", json_path.display()))?,
        )
        .with_context(|| format!("{} is not valid JSON", json_path.display()))?;
        let config: ModelConfig = serde_json::from_value(json["config"].clone())
            .with_context(|| format!("{}: bad config", json_path.display()))?;
        let ties: HashMap<String, Vec<Tie>> = serde_json::from_value(json["ties"].clone())
            .with_context(|| format!("{}: bad ties", json_path.display()))?;
        let raw = std::fs::read(&st_path)
            .with_context(|| format!("cannot read {}", st_path.display()))?;
        let st = safetensors::SafeTensors::deserialize(&raw)
            .with_context(|| format!("{} is not a safetensors file", st_path.display()))?;
        // The config's layer count must be the file's: a smaller one would
        // silently drop layers, a larger one read tensors that are not there.
        let mut file_layers = 0;
        for name in st.names() {
            let layer = name.strip_prefix("layers.").and_then(|rest| {
                let (l, suffix) = rest.split_once('.')?;
                LAYER_TENSORS.contains(&suffix).then_some(())?;
                l.parse::<usize>().ok()
            });
            match layer {
                Some(l) => file_layers = file_layers.max(l + 1),
                None if name == "embedding" || name == "unembedding" => {}
                None => bail!("{}: unexpected tensor {name}", st_path.display()),
            }
        }
        ensure!(
            file_layers == config.layers,
            "{} says {} layers, {} holds {file_layers}",
            json_path.display(),
            config.layers,
            st_path.display()
        );
        if let Some(key) = ties
            .keys()
            .find(|k| !(0..config.layers).any(|l| **k == format!("layers.{l}")))
        {
            bail!("{}: ties for {key}, which is no layer", json_path.display());
        }
        let get = |name: &str| -> Result<Array2<f64>> {
            let t = st
                .tensor(name)
                .with_context(|| format!("{}: missing tensor {name}", st_path.display()))?;
            if t.dtype() != safetensors::Dtype::F64 || t.shape().len() != 2 {
                bail!("tensor {name}: expected a 2D f64 matrix");
            }
            let data: Vec<f64> = t
                .data()
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect();
            Ok(Array2::from_shape_vec((t.shape()[0], t.shape()[1]), data)?)
        };
        let mut layers = Vec::new();
        for l in 0..config.layers {
            let p = |n: &str| format!("layers.{l}.{n}");
            layers.push(Layer {
                query: get(&p("attn.query"))?,
                key: get(&p("attn.key"))?,
                value: get(&p("attn.value"))?,
                output: get(&p("attn.output"))?,
                ffn_gate: get(&p("ffn.gate"))?,
                ffn_value: get(&p("ffn.value"))?,
                ffn_out: get(&p("ffn.out"))?,
                ties: ties
                    .get(&format!("layers.{l}"))
                    .cloned()
                    .with_context(|| format!("{}: no ties for layers.{l}", json_path.display()))?,
            });
        }
        Ok(Model {
            embedding: get("embedding")?,
            unembedding: get("unembedding")?,
            config,
            layers,
        })
    }
}
