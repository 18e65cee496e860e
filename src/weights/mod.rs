//! The model as plain data: configuration and weight matrices, saved as
//! safetensors plus a JSON config. The transformer stage writes it; the
//! decoder reads it; neither knows the other.

use anyhow::{bail, Context as _, Result};
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

/// Count of non-zero entries.
pub fn nonzeros(a: &Array2<f64>) -> usize {
    a.iter().filter(|&&x| x != 0.0).count()
}

impl Model {
    /// Every named matrix, in a stable order.
    pub fn tensors(&self) -> Vec<(String, &Array2<f64>)> {
        let mut t = vec![("embedding".to_string(), &self.embedding)];
        for (l, layer) in self.layers.iter().enumerate() {
            for (name, m) in [
                ("attn.query", &layer.query),
                ("attn.key", &layer.key),
                ("attn.value", &layer.value),
                ("attn.output", &layer.output),
                ("ffn.gate", &layer.ffn_gate),
                ("ffn.value", &layer.ffn_value),
                ("ffn.out", &layer.ffn_out),
            ] {
                t.push((format!("layers.{l}.{name}"), m));
            }
        }
        t.push(("unembedding".to_string(), &self.unembedding));
        t
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
        crate::files::write_atomically(&base.with_extension("safetensors"), &st)?;
        crate::files::write_atomically(
            &base.with_extension("json"),
            serde_json::to_string_pretty(&config)?.as_bytes(),
        )
    }

    pub fn load(base: &Path) -> Result<Model> {
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
        let get = |name: &str| -> Result<Array2<f64>> {
            let t = st
                .tensor(name)
                .with_context(|| format!("missing tensor {name}"))?;
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
                    .context("missing ties")?,
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
