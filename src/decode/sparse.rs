//! Sparse kernels for the projections: the weights are ~98% zeros. Every
//! product adds its terms in ascending column order from 0.0, so a run is
//! the same bit for bit whichever kernel evaluates a row.

use ndarray::Array2;

/// A sparse matrix by row: only the non-empty rows, each a run of
/// (column, value).
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    /// (row, start, end) into `col`/`val`, for rows with a non-zero.
    rows: Vec<(u32, u32, u32)>,
    /// (start, end) of every row, empty rows included.
    by_row: Vec<(u32, u32)>,
    col: Vec<u32>,
    val: Vec<f64>,
    pub(crate) n_cols: usize,
}

impl Csr {
    pub(crate) fn from_dense(a: &Array2<f64>) -> Csr {
        let mut m = Csr {
            n_cols: a.ncols(),
            ..Csr::default()
        };
        for (i, row) in a.rows().into_iter().enumerate() {
            let start = m.col.len() as u32;
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    m.col.push(j as u32);
                    m.val.push(v);
                }
            }
            let end = m.col.len() as u32;
            m.by_row.push((start, end));
            if end > start {
                m.rows.push((i as u32, start, end));
            }
        }
        m
    }

    #[inline(always)]
    pub(crate) fn row_dot(&self, start: u32, end: u32, x: &[f64]) -> f64 {
        debug_assert!(x.len() >= self.n_cols);
        debug_assert!(start <= end && end as usize <= self.col.len());
        // SAFETY: (start, end) come from `rows`/`by_row`, built in
        // from_dense as ranges of `col` and `val` (equal lengths).
        let (cols, vals) = unsafe {
            (
                self.col.get_unchecked(start as usize..end as usize),
                self.val.get_unchecked(start as usize..end as usize),
            )
        };
        let mut s = 0.0;
        for (&c, &v) in cols.iter().zip(vals) {
            // SAFETY: every column index is below n_cols (built from the
            // matrix shape), and every x passed in is the residual stream,
            // an embedding row or the head outputs, whose lengths
            // Decoder::new checks against the matrix shapes.
            s += v * unsafe { *x.get_unchecked(c as usize) };
        }
        s
    }

    /// Row i of A times x.
    #[inline(always)]
    pub(crate) fn dot_row(&self, i: usize, x: &[f64]) -> f64 {
        let (a, b) = self.by_row[i];
        self.row_dot(a, b, x)
    }

    /// y += A x
    #[inline]
    pub(crate) fn mul_add_into(&self, x: &[f64], y: &mut [f64]) {
        for &(i, a, b) in &self.rows {
            y[i as usize] += self.row_dot(a, b, x);
        }
    }
}

/// A sparse matrix by column, for products with a sparse vector: only the
/// columns where x is non-zero are touched.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csc {
    /// (start, end) of each column into `row`/`val`.
    pub(crate) cols: Vec<(u32, u32)>,
    row: Vec<u32>,
    val: Vec<f64>,
    /// Rows with a non-zero, ascending.
    pub(crate) written: Vec<u32>,
    /// Columns with a non-zero, ascending.
    read: Vec<u32>,
    pub(crate) n_rows: usize,
}

impl Csc {
    pub(crate) fn from_dense(a: &Array2<f64>) -> Csc {
        let mut m = Csc {
            n_rows: a.nrows(),
            ..Csc::default()
        };
        for j in 0..a.ncols() {
            let start = m.row.len() as u32;
            for i in 0..a.nrows() {
                if a[[i, j]] != 0.0 {
                    m.row.push(i as u32);
                    m.val.push(a[[i, j]]);
                }
            }
            let end = m.row.len() as u32;
            m.cols.push((start, end));
            if end > start {
                m.read.push(j as u32);
            }
        }
        m.written = (0..a.nrows() as u32)
            .filter(|&i| a.row(i as usize).iter().any(|&v| v != 0.0))
            .collect();
        m
    }

    /// `acc += A x`, column by column, skipping the columns where x is
    /// zero. Starting from a zero `acc`, each row gets its terms in
    /// ascending column order from 0.0, as `Csr::row_dot` adds them, and
    /// the skipped terms are exact zeros (v * 0 for a finite v): a sum
    /// begun at +0.0 never becomes -0.0, and adding a zero to any other
    /// value leaves it unchanged, so the result is the same bit for bit.
    /// Where the residual stream is mostly zeros this touches only the
    /// weights that meet a non-zero, with no per-row overhead.
    pub(crate) fn mul_add_nonzero_columns(&self, x: &[f64], acc: &mut [f64]) {
        debug_assert!(acc.len() >= self.n_rows);
        for &j in &self.read {
            let xj = x[j as usize];
            if xj == 0.0 {
                continue;
            }
            let (a, b) = self.cols[j as usize];
            let (rows, vals) = (
                &self.row[a as usize..b as usize],
                &self.val[a as usize..b as usize],
            );
            for (&r, &v) in rows.iter().zip(vals) {
                // SAFETY: every row index is below n_rows (built from the
                // matrix shape), and acc is at least that long (checked
                // above in debug builds; Decoder::new checks the shapes).
                unsafe { *acc.get_unchecked_mut(r as usize) += v * xj };
            }
        }
    }

    /// `y += A x` where x is zero outside `support` (ascending). Each row's
    /// terms are summed from zero in ascending column order and then added
    /// to y, as a row-by-row product does, so the result is the same bit
    /// for bit: the skipped terms are exact zeros.
    pub(crate) fn mul_add_sparse(
        &self,
        x: &[f64],
        support: &[u32],
        acc: &mut [f64],
        y: &mut [f64],
    ) {
        // `acc` is all zeros between calls: only rows the matrix writes are
        // touched, and those are reset below.
        for &j in support {
            let (a, b) = self.cols[j as usize];
            let xj = x[j as usize];
            for k in a as usize..b as usize {
                acc[self.row[k] as usize] += self.val[k] * xj;
            }
        }
        for &r in &self.written {
            let r = r as usize;
            y[r] += acc[r];
            acc[r] = 0.0;
        }
    }
}
