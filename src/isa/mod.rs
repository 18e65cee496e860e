//! The core ISA and its token text format.
//!
//! A [`Program`] is a flat list of [`Instr`]s (an [`Op`] and a 32-bit
//! immediate) plus the input bytes that `input_base` copies into memory.
//! Everything the model reads or writes is a [`Token`]: a dense integer id
//! into the [`Vocab`]. Token names exist only at the edges, when a program
//! or a trace is read from or written to text (`../shared/docs/token-format.md`).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The opcodes: the published machine's 36 core ops in its order, then
/// hullvm's extension ops (bit operations, shifts, multiply, divide, count leading zeros), which the published
/// vocabulary lacks and which take ids after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Halt,
    Return,
    Call,
    Br,
    BrIf,
    Drop,
    Select,
    LocalGet,
    LocalSet,
    LocalTee,
    GlobalGet,
    GlobalSet,
    I32Load,
    I32Load8S,
    I32Load8U,
    I32Load16S,
    I32Load16U,
    I32Store,
    I32Store8,
    I32Store16,
    I32Const,
    I32Eqz,
    I32Eq,
    I32Ne,
    I32LtS,
    I32LtU,
    I32GtS,
    I32GtU,
    I32LeS,
    I32LeU,
    I32GeS,
    I32GeU,
    I32Add,
    I32Sub,
    Output,
    InputBase,
    I32And,
    I32Or,
    I32Xor,
    I32Shl,
    I32ShrU,
    I32ShrS,
    I32Mul,
    I32DivU,
    I32Clz,
    /// Count leading zeros of the 64-bit value whose high word is on top
    /// and low word beneath: pops both, pushes the count (0-64).
    Clz64,
}

impl Op {
    pub const ALL: [Op; 46] = [
        Op::Halt,
        Op::Return,
        Op::Call,
        Op::Br,
        Op::BrIf,
        Op::Drop,
        Op::Select,
        Op::LocalGet,
        Op::LocalSet,
        Op::LocalTee,
        Op::GlobalGet,
        Op::GlobalSet,
        Op::I32Load,
        Op::I32Load8S,
        Op::I32Load8U,
        Op::I32Load16S,
        Op::I32Load16U,
        Op::I32Store,
        Op::I32Store8,
        Op::I32Store16,
        Op::I32Const,
        Op::I32Eqz,
        Op::I32Eq,
        Op::I32Ne,
        Op::I32LtS,
        Op::I32LtU,
        Op::I32GtS,
        Op::I32GtU,
        Op::I32LeS,
        Op::I32LeU,
        Op::I32GeS,
        Op::I32GeU,
        Op::I32Add,
        Op::I32Sub,
        Op::Output,
        Op::InputBase,
        Op::I32And,
        Op::I32Or,
        Op::I32Xor,
        Op::I32Shl,
        Op::I32ShrU,
        Op::I32ShrS,
        Op::I32Mul,
        Op::I32DivU,
        Op::I32Clz,
        Op::Clz64,
    ];

    /// How many of [`Op::ALL`] the published machine has: the rest extend it.
    pub const PUBLISHED: usize = 36;

    /// The ops hullvm's machine adds to the published one.
    pub fn extension() -> &'static [Op] {
        &Op::ALL[Op::PUBLISHED..]
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Halt => "halt",
            Op::Return => "return",
            Op::Call => "call",
            Op::Br => "br",
            Op::BrIf => "br_if",
            Op::Drop => "drop",
            Op::Select => "select",
            Op::LocalGet => "local.get",
            Op::LocalSet => "local.set",
            Op::LocalTee => "local.tee",
            Op::GlobalGet => "global.get",
            Op::GlobalSet => "global.set",
            Op::I32Load => "i32.load",
            Op::I32Load8S => "i32.load8_s",
            Op::I32Load8U => "i32.load8_u",
            Op::I32Load16S => "i32.load16_s",
            Op::I32Load16U => "i32.load16_u",
            Op::I32Store => "i32.store",
            Op::I32Store8 => "i32.store8",
            Op::I32Store16 => "i32.store16",
            Op::I32Const => "i32.const",
            Op::I32Eqz => "i32.eqz",
            Op::I32Eq => "i32.eq",
            Op::I32Ne => "i32.ne",
            Op::I32LtS => "i32.lt_s",
            Op::I32LtU => "i32.lt_u",
            Op::I32GtS => "i32.gt_s",
            Op::I32GtU => "i32.gt_u",
            Op::I32LeS => "i32.le_s",
            Op::I32LeU => "i32.le_u",
            Op::I32GeS => "i32.ge_s",
            Op::I32GeU => "i32.ge_u",
            Op::I32Add => "i32.add",
            Op::I32Sub => "i32.sub",
            Op::Output => "output",
            Op::InputBase => "input_base",
            Op::I32And => "i32.and",
            Op::I32Or => "i32.or",
            Op::I32Xor => "i32.xor",
            Op::I32Shl => "i32.shl",
            Op::I32ShrU => "i32.shr_u",
            Op::I32ShrS => "i32.shr_s",
            Op::I32Mul => "i32.mul",
            Op::I32DivU => "i32.div_u",
            Op::I32Clz => "i32.clz",
            Op::Clz64 => "clz64",
        }
    }

    /// Index in [`Op::ALL`]; the machine uses it to place the opcode on its circle.
    pub fn index(self) -> usize {
        self as usize
    }

    /// One of the published machine's 36 ops, not an extension op.
    pub fn is_published(self) -> bool {
        self.index() < Op::PUBLISHED
    }

    /// Net change of the value-stack height when the instruction commits.
    pub(crate) fn stack_delta(self) -> i8 {
        use Op::*;
        match self {
            I32Const | LocalGet | GlobalGet => 1,
            Halt | Return | Call | Br | LocalTee | I32Eqz | I32Load | I32Load8S | I32Load8U
            | I32Load16S | I32Load16U | InputBase | I32Clz => 0,
            Drop | LocalSet | GlobalSet | BrIf | Output | I32Eq | I32Ne | I32LtS | I32LtU
            | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU | I32Add | I32Sub | I32And
            | I32Or | I32Xor | I32Shl | I32ShrU | I32ShrS | I32Mul | I32DivU | Clz64 => -1,
            Select | I32Store | I32Store8 | I32Store16 => -2,
        }
    }

    /// True when the instruction leaves a value on the stack that later
    /// stack reads must find ("store to stack").
    pub(crate) fn stores_to_stack(self) -> bool {
        use Op::*;
        matches!(
            self,
            I32Const
                | LocalGet
                | GlobalGet
                | Select
                | I32Eqz
                | I32Eq
                | I32Ne
                | I32LtS
                | I32LtU
                | I32GtS
                | I32GtU
                | I32LeS
                | I32LeU
                | I32GeS
                | I32GeU
                | I32Add
                | I32Sub
                | I32And
                | I32Or
                | I32Xor
                | I32Shl
                | I32ShrU
                | I32ShrS
                | I32Mul
                | I32DivU
                | I32Clz
                | Clz64
                | I32Load
                | I32Load8S
                | I32Load8U
                | I32Load16S
                | I32Load16U
        )
    }

    /// The commit token that closes this instruction (for ops that end in one).
    pub fn commit(self, branch_taken: bool) -> Commit {
        Commit {
            stack_delta: self.stack_delta(),
            store_to_stack: self.stores_to_stack(),
            branch_taken,
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// Branch-like ops whose immediate is a signed offset from the next instruction.
    pub(crate) fn is_relative_jump(self) -> bool {
        matches!(self, Op::Br | Op::BrIf | Op::Call)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One instruction: an opcode and its 32-bit immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instr {
    pub op: Op,
    pub(crate) imm: u32,
}

impl Instr {
    pub fn new(op: Op, imm: u32) -> Self {
        Instr { op, imm }
    }
}

impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Op::Br | Op::BrIf | Op::Call => write!(f, "{} {:+}", self.op, self.imm as i32),
            Op::I32Const => write!(f, "{} {}", self.op, self.imm as i32),
            Op::Return => write!(f, "{} (index {})", self.op, !self.imm),
            _ => write!(f, "{} {}", self.op, self.imm),
        }
    }
}

/// `commit(SD,sts=S,bt=B)`: closes an executed instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commit {
    pub(crate) stack_delta: i8,
    pub(crate) store_to_stack: bool,
    pub(crate) branch_taken: bool,
}

impl Commit {
    /// The (stack delta, store-to-stack) pairs that some op produces; only
    /// these commits are in the vocabulary.
    pub(crate) const SHAPES: [(i8, bool); 7] = [
        (1, true),
        (0, false),
        (0, true),
        (-1, false),
        (-1, true),
        (-2, false),
        (-2, true),
    ];
}

/// What a token means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `{`: opens the program.
    Open,
    /// `}`: closes the program.
    Close,
    /// An opcode name. `halt` doubles as the trace token that stops generation.
    Op(Op),
    /// `00`..`ff`, with `'` when the byte carries a carry, borrow or sign flag.
    Byte {
        value: u8,
        flag: bool,
    },
    /// A printable input byte written as the character itself.
    Char(u8),
    /// `out(..)`: an output byte.
    Out(u8),
    Commit(Commit),
    BranchTaken,
    CallCommit,
    ReturnCommit,
}

impl TokenKind {
    pub fn name(&self) -> String {
        match *self {
            TokenKind::Open => "{".into(),
            TokenKind::Close => "}".into(),
            TokenKind::Op(op) => op.name().into(),
            TokenKind::Byte { value, flag } => {
                format!("{value:02x}{}", if flag { "'" } else { "" })
            }
            TokenKind::Char(c) => (c as char).to_string(),
            TokenKind::Out(b) => {
                if is_printable(b) {
                    format!("out({})", b as char)
                } else {
                    format!("out({b:02x})")
                }
            }
            TokenKind::Commit(c) => format!(
                "commit({:+},sts={},bt={})",
                c.stack_delta, c.store_to_stack as u8, c.branch_taken as u8
            ),
            TokenKind::BranchTaken => "branch_taken".into(),
            TokenKind::CallCommit => "call_commit".into(),
            TokenKind::ReturnCommit => "return_commit".into(),
        }
    }

    /// The byte value a byte-like token stands for (hex bytes and input chars).
    pub(crate) fn byte_value(&self) -> Option<u8> {
        match *self {
            TokenKind::Byte { value, .. } => Some(value),
            TokenKind::Char(c) => Some(c),
            _ => None,
        }
    }

    /// Tokens that end one executed instruction's line in a trace file.
    pub(crate) fn ends_line(&self) -> bool {
        matches!(
            self,
            TokenKind::Commit(_)
                | TokenKind::Out(_)
                | TokenKind::Op(Op::Halt)
                | TokenKind::BranchTaken
                | TokenKind::CallCommit
                | TokenKind::ReturnCommit
        )
    }
}

/// Bytes written as a bare character in the input section: 0x21..0x7E but
/// not the program delimiters.
pub(crate) fn is_input_char(b: u8) -> bool {
    is_printable(b) && b != b'{' && b != b'}'
}

fn is_printable(b: u8) -> bool {
    (0x21..0x7f).contains(&b)
}

/// A dense token id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u16);

impl Token {
    pub fn id(self) -> usize {
        self.0 as usize
    }
    pub fn kind(self) -> TokenKind {
        Vocab::get().kinds[self.id()]
    }
    pub fn name(self) -> &'static str {
        &Vocab::get().names[self.id()]
    }
    pub(crate) fn from_name(name: &str) -> Option<Token> {
        Vocab::get().by_name.get(name).copied()
    }
    pub(crate) fn byte(value: u8, flag: bool) -> Token {
        Vocab::get().byte[value as usize * 2 + flag as usize]
    }
    pub fn out(value: u8) -> Token {
        Vocab::get().out[value as usize]
    }
    pub fn op(op: Op) -> Token {
        Vocab::get().op[op.index()]
    }
    pub fn commit(c: Commit) -> Token {
        let v = Vocab::get();
        let shape = Commit::SHAPES
            .iter()
            .position(|&s| s == (c.stack_delta, c.store_to_stack))
            .expect("every op's commit shape is in the vocabulary");
        v.commit[shape * 2 + c.branch_taken as usize]
    }
    /// An input-section byte: the character itself where the format allows.
    pub(crate) fn input_byte(value: u8) -> Token {
        if is_input_char(value) {
            Vocab::get().char_[value as usize]
        } else {
            Token::byte(value, false)
        }
    }
    pub fn halt() -> Token {
        Token::op(Op::Halt)
    }
    pub(crate) fn branch_taken() -> Token {
        Vocab::get().branch_taken
    }
    pub(crate) fn call_commit() -> Token {
        Vocab::get().call_commit
    }
    pub(crate) fn return_commit() -> Token {
        Vocab::get().return_commit
    }
    pub(crate) fn open() -> Token {
        Vocab::get().open
    }
    pub(crate) fn close() -> Token {
        Vocab::get().close
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.name(), self.0)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The vocabulary: every token the model reads or writes, ids in the order of
/// the published model (names sorted), so ids agree with its vocabulary file,
/// then the extension ops.
pub(crate) struct Vocab {
    names: Vec<String>,
    kinds: Vec<TokenKind>,
    by_name: HashMap<String, Token>,
    byte: Vec<Token>,
    out: Vec<Token>,
    char_: Vec<Token>,
    op: Vec<Token>,
    commit: Vec<Token>,
    branch_taken: Token,
    call_commit: Token,
    return_commit: Token,
    open: Token,
    close: Token,
}

/// Tokens in the published vocabulary: the ids below this.
pub const PUBLISHED_VOCAB: usize = 915;

impl Vocab {
    pub fn get() -> &'static Vocab {
        static VOCAB: OnceLock<Vocab> = OnceLock::new();
        VOCAB.get_or_init(Vocab::build)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn tokens(&self) -> impl Iterator<Item = Token> + '_ {
        (0..self.len()).map(|i| Token(i as u16))
    }

    fn build() -> Vocab {
        let mut kinds = vec![TokenKind::Open, TokenKind::Close];
        let (published, extension) = Op::ALL.split_at(Op::PUBLISHED);
        kinds.extend(published.iter().map(|&op| TokenKind::Op(op)));
        for value in 0..=255u8 {
            for flag in [false, true] {
                kinds.push(TokenKind::Byte { value, flag });
            }
            kinds.push(TokenKind::Out(value));
            if is_input_char(value) {
                kinds.push(TokenKind::Char(value));
            }
        }
        for (stack_delta, store_to_stack) in Commit::SHAPES {
            for branch_taken in [false, true] {
                kinds.push(TokenKind::Commit(Commit {
                    stack_delta,
                    store_to_stack,
                    branch_taken,
                }));
            }
        }
        kinds.extend([
            TokenKind::BranchTaken,
            TokenKind::CallCommit,
            TokenKind::ReturnCommit,
        ]);
        kinds.sort_by_key(|k| k.name());
        assert_eq!(kinds.len(), PUBLISHED_VOCAB);
        // After the published ids, so those keep their meaning.
        kinds.extend(extension.iter().map(|&op| TokenKind::Op(op)));

        let names: Vec<String> = kinds.iter().map(|k| k.name()).collect();
        let by_name: HashMap<String, Token> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), Token(i as u16)))
            .collect();
        let id = |k: TokenKind| by_name[&k.name()];
        let mut byte = Vec::with_capacity(512);
        for value in 0..=255u8 {
            for flag in [false, true] {
                byte.push(id(TokenKind::Byte { value, flag }));
            }
        }
        let out = (0..=255u8).map(|b| id(TokenKind::Out(b))).collect();
        let char_ = (0..=255u8)
            .map(|b| {
                if is_input_char(b) {
                    id(TokenKind::Char(b))
                } else {
                    Token(u16::MAX)
                }
            })
            .collect();
        let op = Op::ALL.iter().map(|&o| id(TokenKind::Op(o))).collect();
        let mut commit = Vec::new();
        for (stack_delta, store_to_stack) in Commit::SHAPES {
            for branch_taken in [false, true] {
                commit.push(id(TokenKind::Commit(Commit {
                    stack_delta,
                    store_to_stack,
                    branch_taken,
                })));
            }
        }
        Vocab {
            branch_taken: id(TokenKind::BranchTaken),
            call_commit: id(TokenKind::CallCommit),
            return_commit: id(TokenKind::ReturnCommit),
            open: id(TokenKind::Open),
            close: id(TokenKind::Close),
            names,
            kinds,
            by_name,
            byte,
            out,
            char_,
            op,
            commit,
        }
    }
}

/// A text-format error, located at a whitespace-separated token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("token {index} ({token:?}): {message}")]
pub struct FormatError {
    pub index: usize,
    pub token: String,
    pub message: String,
}

fn format_error(index: usize, token: &str, message: impl Into<String>) -> FormatError {
    FormatError {
        index,
        token: token.to_string(),
        message: message.into(),
    }
}

/// A flat program and the input its `input_base` loads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Program {
    pub instrs: Vec<Instr>,
    /// Input bytes (without the trailing NUL). Only meaningful when the first
    /// instruction is `input_base`.
    pub input: Vec<u8>,
}

impl Program {
    pub fn new(instrs: Vec<Instr>) -> Self {
        Program {
            instrs,
            input: Vec::new(),
        }
    }

    pub(crate) fn takes_input(&self) -> bool {
        self.instrs.first().map(|i| i.op) == Some(Op::InputBase)
    }

    /// The input section tokens: input bytes, NUL, `commit(+0,sts=0,bt=0)`.
    pub fn input_section(&self) -> Vec<Token> {
        if !self.takes_input() {
            return Vec::new();
        }
        let mut t: Vec<Token> = self.input.iter().map(|&b| Token::input_byte(b)).collect();
        t.push(Token::input_byte(0));
        t.push(Token::commit(Op::InputBase.commit(false)));
        t
    }

    /// The model's prompt: `{`, the instructions, `}`, the input section.
    pub fn prompt(&self) -> Vec<Token> {
        let mut t = Vec::with_capacity(self.instrs.len() * 5 + 2 + self.input.len() + 2);
        t.push(Token::open());
        for ins in &self.instrs {
            t.push(Token::op(ins.op));
            t.extend(ins.imm.to_le_bytes().iter().map(|&b| Token::byte(b, false)));
        }
        t.push(Token::close());
        t.extend(self.input_section());
        t
    }

    /// Parse a program file (`{ ... }` and input section).
    pub fn parse(text: &str) -> Result<Program, FormatError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (instrs, rest_at) = parse_instructions(&words)?;
        let mut program = Program::new(instrs);
        let rest = &words[rest_at..];
        if program.takes_input() {
            let (input, used) = parse_input_section(rest, rest_at)?;
            program.input = input;
            if used < rest.len() {
                return Err(format_error(
                    rest_at + used,
                    rest[used],
                    "unexpected token after the input section",
                ));
            }
        } else if let Some(first) = rest.first() {
            return Err(format_error(
                rest_at,
                first,
                "tokens after `}` but the program does not start with input_base",
            ));
        }
        Ok(program)
    }

    /// The program file text, one instruction a line.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(self.instrs.len() * 24 + 64);
        self.write_instructions(&mut s);
        if self.takes_input() {
            write_line(&mut s, &self.input_section());
        }
        s
    }

    fn write_instructions(&self, s: &mut String) {
        s.push_str("{\n");
        for ins in &self.instrs {
            s.push_str(ins.op.name());
            for b in ins.imm.to_le_bytes() {
                s.push_str(&format!(" {b:02x}"));
            }
            s.push('\n');
        }
        s.push_str("}\n");
    }
}

fn write_line(s: &mut String, tokens: &[Token]) {
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(t.name());
    }
    s.push('\n');
}

/// Parse `{ op b b b b ... }`; returns the instructions and the index after `}`.
fn parse_instructions(words: &[&str]) -> Result<(Vec<Instr>, usize), FormatError> {
    match words.first() {
        Some(&"{") => {}
        Some(w) => return Err(format_error(0, w, "a program starts with `{`")),
        None => return Err(format_error(0, "", "empty program file")),
    }
    let mut instrs = Vec::new();
    let mut i = 1;
    loop {
        let Some(&w) = words.get(i) else {
            return Err(format_error(i, "", "missing `}` closing the program"));
        };
        if w == "}" {
            return Ok((instrs, i + 1));
        }
        let op = Op::from_name(w).ok_or_else(|| format_error(i, w, "expected an opcode or `}`"))?;
        let mut imm = [0u8; 4];
        for (j, byte) in imm.iter_mut().enumerate() {
            let at = i + 1 + j;
            let Some(&b) = words.get(at) else {
                return Err(format_error(at, "", "instruction needs 4 immediate bytes"));
            };
            *byte = parse_hex_byte(b)
                .ok_or_else(|| format_error(at, b, "expected an immediate byte 00..ff"))?;
        }
        instrs.push(Instr::new(op, u32::from_le_bytes(imm)));
        i += 5;
    }
}

fn parse_hex_byte(w: &str) -> Option<u8> {
    if w.len() == 2
        && w.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        u8::from_str_radix(w, 16).ok()
    } else {
        None
    }
}

/// Input section: bytes, a NUL, `commit(+0,sts=0,bt=0)`. Returns the input
/// (without NUL) and how many words it used.
fn parse_input_section(words: &[&str], base: usize) -> Result<(Vec<u8>, usize), FormatError> {
    let end_commit = Token::commit(Op::InputBase.commit(false)).name();
    let mut bytes = Vec::new();
    for (i, &w) in words.iter().enumerate() {
        if w == end_commit {
            return match bytes.pop() {
                Some(0) => Ok((bytes, i + 1)),
                _ => Err(format_error(
                    base + i,
                    w,
                    "the input section must end with a NUL byte `00` before its commit",
                )),
            };
        }
        let b = match (parse_hex_byte(w), w.as_bytes()) {
            (Some(b), _) => b,
            (None, [c]) if is_input_char(*c) => *c,
            _ => {
                return Err(format_error(
                    base + i,
                    w,
                    "expected an input byte (a character or two hex digits)",
                ))
            }
        };
        bytes.push(b);
    }
    Err(format_error(
        base + words.len(),
        "",
        "the input section is missing its closing `commit(+0,sts=0,bt=0)`",
    ))
}

/// Parse whitespace-separated token names into ids.
pub fn parse_tokens(text: &str) -> Result<Vec<Token>, FormatError> {
    text.split_whitespace()
        .enumerate()
        .map(|(i, w)| Token::from_name(w).ok_or_else(|| format_error(i, w, "unknown token")))
        .collect()
}

/// A trace file (`NAME_ref.txt`): the program, then the run one executed
/// instruction a line. The input section is the first trace line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceFile {
    pub program: Program,
    /// Every token after `}`: the input section, then the generated tokens.
    pub trace: Vec<Token>,
}

impl TraceFile {
    pub fn parse(text: &str) -> Result<TraceFile, FormatError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (instrs, rest_at) = parse_instructions(&words)?;
        let mut program = Program::new(instrs);
        let mut trace = Vec::with_capacity(words.len() - rest_at);
        for (i, w) in words[rest_at..].iter().enumerate() {
            trace.push(
                Token::from_name(w).ok_or_else(|| format_error(rest_at + i, w, "unknown token"))?,
            );
        }
        if program.takes_input() {
            let (input, _) = parse_input_section(&words[rest_at..], rest_at)?;
            program.input = input;
        }
        Ok(TraceFile { program, trace })
    }

    pub fn to_text(&self) -> String {
        format_trace(&self.program, &self.trace)
    }
}

/// Render a run in the `_ref.txt` layout.
pub fn format_trace(program: &Program, trace: &[Token]) -> String {
    let mut s = String::with_capacity(program.instrs.len() * 24 + trace.len() * 4);
    program.write_instructions(&mut s);
    let mut start = 0;
    for (i, t) in trace.iter().enumerate() {
        if t.kind().ends_line() {
            write_line(&mut s, &trace[start..=i]);
            start = i + 1;
        }
    }
    if start < trace.len() {
        write_line(&mut s, &trace[start..]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocab_matches_the_published_size_and_order() {
        let v = Vocab::get();
        assert_eq!(v.len(), PUBLISHED_VOCAB + Op::extension().len());
        assert_eq!(Op::extension().len(), 10);
        assert_eq!(Token(0).name(), "!");
        assert_eq!(Token::op(Op::I32And).0, 915);
        assert_eq!(Token::op(Op::I32Xor).0, 917);
        assert_eq!(Token::halt().0, 606);
        assert_eq!(Token::from_name("{").unwrap().0, 911);
        for t in v.tokens() {
            assert_eq!(Token::from_name(t.name()), Some(t));
        }
    }

    #[test]
    fn token_constructors_round_trip() {
        assert_eq!(Token::byte(0x3a, true).name(), "3a'");
        assert_eq!(Token::out(b'H').name(), "out(H)");
        assert_eq!(Token::out(0x20).name(), "out(20)");
        assert_eq!(Token::input_byte(b'W').name(), "W");
        assert_eq!(Token::input_byte(b'{').name(), "7b");
        assert_eq!(
            Token::commit(Op::I32Add.commit(false)).name(),
            "commit(-1,sts=1,bt=0)"
        );
        assert_eq!(
            Token::commit(Op::BrIf.commit(true)).name(),
            "commit(-1,sts=0,bt=1)"
        );
    }

    #[test]
    fn program_text_round_trips() {
        let text = "{\ninput_base 00 14 00 00\ni32.const 07 00 00 00\noutput 00 00 00 00\nhalt 00 00 00 00\n}\nW o r l d 00 commit(+0,sts=0,bt=0)\n";
        let p = Program::parse(text).unwrap();
        assert_eq!(p.instrs.len(), 4);
        assert_eq!(p.instrs[0].imm, 0x1400);
        assert_eq!(p.input, b"World");
        assert_eq!(p.to_text(), text);
        let prompt: Vec<&str> = p.prompt().iter().map(|t| t.name()).collect();
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(prompt, words);
    }

    #[test]
    fn format_errors_name_the_token() {
        let e = Program::parse("{ i32.konst 00 00 00 00 }").unwrap_err();
        assert_eq!(e.index, 1);
        assert!(e.to_string().contains("i32.konst"));
        assert!(Program::parse("{ i32.const 00 00 }").is_err());
        assert!(Program::parse("{ halt 00 00 00 00").is_err());
        assert!(Program::parse("{ halt 00 00 00 00 } 41").is_err());
        assert!(Program::parse("{ input_base 00 00 00 00 } a b commit(+0,sts=0,bt=0)").is_err());
        assert!(parse_tokens("00 zz").is_err());
    }
}
