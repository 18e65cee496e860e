//! The lookup tables of the runtime's bit operations (`runtime.wat`: and,
//! or, xor, popcnt, clz, ctz, shifts, rotations, mul), and the functions
//! that write them.
//!
//! Within the 36 core ops a byte read from memory can index a table in
//! memory, so a bitwise op costs a few loads a byte instead of a round a
//! bit. Memory starts zeroed, so the tables are written by the program:
//! each group by a runtime function `init_<group>` of plain word stores
//! (only the non-zero words), called by the group's helpers when the
//! group's flag byte is still 0. A program that never runs a helper of a
//! group pays nothing for it; one that does pays its stores once (see
//! [`Group::stores`]). Offsets are the runtime's (`runtime.wat` addresses
//! its memory from 0; the compiler relocates it above the module's state).

/// Bytes of memory the runtime addresses: scratch, flags and tables.
pub(super) const RUNTIME_BYTES: u32 = 8192;

/// A 256-byte table: the byte at `offset + x` is `entry(x)`.
struct Table {
    offset: u32,
    entry: fn(u32) -> u32,
}

/// Tables written together, on the first use of any helper that reads them.
struct Group {
    /// The runtime function that writes the tables and sets the flag.
    init: &'static str,
    /// Offset of the flag byte: 0 until the tables are written.
    flag: u32,
    tables: &'static [Table],
}

/// The bytes of `x >> j` for j = 1..=7 (row j at `SHIFT_ROWS + 256 j`).
const SHIFT_ROWS: u32 = 3328;

const GROUPS: &[Group] = &[
    Group {
        init: "init_bitwise",
        flag: 8,
        tables: &[
            Table {
                offset: 256,
                entry: |x| x & 0xf0,
            },
            Table {
                offset: 512,
                entry: |x| x >> 4,
            },
            Table {
                offset: 768,
                entry: |x| (x & 15) << 4,
            },
            // index 16 x + y for nibbles x, y
            Table {
                offset: 1024,
                entry: |i| ((i >> 4) & i & 15) << 4,
            },
            Table {
                offset: 1280,
                entry: |i| (i >> 4) & i & 15,
            },
            Table {
                offset: 6912,
                entry: |x| x & 15,
            },
        ],
    },
    Group {
        init: "init_count",
        flag: 9,
        tables: &[
            Table {
                offset: 1536,
                entry: |x| x.count_ones(),
            },
            Table {
                offset: 1792,
                entry: |x| (x as u8).leading_zeros(),
            },
            Table {
                offset: 2048,
                entry: |x| (x as u8).trailing_zeros(),
            },
        ],
    },
    Group {
        init: "init_shift",
        flag: 10,
        tables: &[
            // a shift count's low byte m = 8k + r (mod 32): 4 - k, k, bits of r
            Table {
                offset: 2304,
                entry: |m| 4 - ((m >> 3) & 3),
            },
            Table {
                offset: 2560,
                entry: |m| (m >> 3) & 3,
            },
            Table {
                offset: 2816,
                entry: |m| (m >> 2) & 1,
            },
            Table {
                offset: 3072,
                entry: |m| (m >> 1) & 1,
            },
            Table {
                offset: 3328,
                entry: |m| m & 1,
            },
            // the same for n & 63 = 8k + r: 8 - k, k
            Table {
                offset: 6400,
                entry: |m| 8 - ((m >> 3) & 7),
            },
            Table {
                offset: 6656,
                entry: |m| (m >> 3) & 7,
            },
            Table {
                offset: SHIFT_ROWS + 256,
                entry: |x| x >> 1,
            },
            Table {
                offset: SHIFT_ROWS + 512,
                entry: |x| x >> 2,
            },
            Table {
                offset: SHIFT_ROWS + 768,
                entry: |x| x >> 3,
            },
            Table {
                offset: SHIFT_ROWS + 1024,
                entry: |x| x >> 4,
            },
            Table {
                offset: SHIFT_ROWS + 1280,
                entry: |x| x >> 5,
            },
            Table {
                offset: SHIFT_ROWS + 1536,
                entry: |x| x >> 6,
            },
            Table {
                offset: SHIFT_ROWS + 1792,
                entry: |x| x >> 7,
            },
        ],
    },
    Group {
        init: "init_mul",
        flag: 11,
        tables: &[
            // 8 * base-4 digit k of a byte: the offset of that multiple
            Table {
                offset: 5376,
                entry: |x| 8 * (x & 3),
            },
            Table {
                offset: 5632,
                entry: |x| 8 * ((x >> 2) & 3),
            },
            Table {
                offset: 5888,
                entry: |x| 8 * ((x >> 4) & 3),
            },
            Table {
                offset: 6144,
                entry: |x| 8 * (x >> 6),
            },
        ],
    },
];

impl Group {
    /// The non-zero little-endian words of the group's tables, by offset.
    fn stores(&self) -> Vec<(u32, u32)> {
        let mut bytes = std::collections::BTreeMap::new();
        for t in self.tables {
            for x in 0..256 {
                let b = (t.entry)(x);
                debug_assert!(b < 256, "a table entry is a byte");
                bytes.insert(t.offset + x, b);
            }
        }
        let mut words = std::collections::BTreeMap::<u32, u32>::new();
        for (addr, b) in bytes {
            *words.entry(addr & !3).or_default() |= b << (8 * (addr & 3));
        }
        words.into_iter().filter(|&(_, w)| w != 0).collect()
    }

    /// `(func $init_<group> ...)`: the stores, then the flag.
    fn init_function(&self) -> String {
        let mut f = format!("  (func ${}\n", self.init);
        for (offset, word) in self.stores() {
            f += &format!("    (i32.store offset={offset} (i32.const 0) (i32.const {word:#x}))\n");
        }
        f += &format!(
            "    (i32.store8 offset={} (i32.const 0) (i32.const 1)))\n",
            self.flag
        );
        f
    }
}

/// `runtime.wat` with the groups' init functions added to its module.
pub(super) fn runtime_text(wat: &str) -> String {
    let end = wat.rfind(')').expect("runtime.wat is one module");
    let inits: String = GROUPS.iter().map(Group::init_function).collect();
    format!("{}\n{inits}{}", &wat[..end], &wat[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_fit_the_runtime_memory_and_do_not_overlap() {
        let mut spans: Vec<(u32, u32)> = GROUPS
            .iter()
            .flat_map(|g| g.tables.iter().map(|t| (t.offset, t.offset + 256)))
            .collect();
        spans.sort();
        assert!(spans[0].0 >= 256, "tables start above the scratch");
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{:?} overlaps {:?}", w[0], w[1]);
        }
        assert!(spans.last().unwrap().1 <= RUNTIME_BYTES);
    }

    #[test]
    fn every_group_is_written_by_its_init_function() {
        let text = runtime_text(include_str!("runtime.wat"));
        for g in GROUPS {
            assert!(text.contains(&format!("(func ${}\n", g.init)));
            assert!(
                text.contains(&format!("(call ${})", g.init)),
                "{} is used",
                g.init
            );
            assert!(!g.stores().is_empty());
        }
    }
}
