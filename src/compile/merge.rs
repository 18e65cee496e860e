//! Linked instances as one module.
//!
//! The spec suite's scripts link modules to each other's exports
//! (`register`), and what one instance writes into a memory, table or
//! global it shares, another sees. hullvm compiles one module into one
//! program, so a group of instances linked to each other becomes one
//! module that holds them all ([`merge`]): every member's types,
//! functions, tables, memories and globals in one index space, an import of
//! another member's export resolved to that very item, imports from the
//! host (`spectest`, `env`) kept once each, and each member's exports
//! renamed [`export_name`]. Instantiating the merge does what instantiating
//! the members in order does (element and data segments apply in member
//! order), provided only the last member has a start function: an earlier
//! start would run after later members' segments, so [`merge`] refuses it.
//!
//! A member whose instantiation trapped still changed what it shares: the
//! element segments before the first that does not fit its table, or, when
//! all fit, the data segments before the first that does not fit memory
//! (wasm 2.0's order), or, when everything fits, all of them before its
//! start function trapped. Such a [`Member::partial`] keeps just those
//! segments and no start; one whose start may have written state before
//! trapping is refused.
//!
//! A member instantiated after calls that may have written state it
//! shares ([`Member::deferred`]) must write after them, not at the
//! merge's instantiation: its data segments and start function become an
//! exported init function ([`init_name`]) that the caller calls at the
//! member's place among the calls. Each segment is checked whole against
//! its memory's size then (wasm 2.0's bulk-memory order, which the spec
//! suite expects), before any of its bytes is stored: one that does not
//! fit traps with an out-of-bounds access, or, for a partial member, ends
//! the init function there. Its element segments stay active: hullvm's
//! tables never change after instantiation (it has no table
//! instructions), so whether a segment fits cannot depend on the calls,
//! and a segment into the member's own table is seen by no earlier call;
//! one into a table another member can reach is refused.

use std::collections::HashMap;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef, Validator, WasmFeatures};

/// One instance of a group, in instantiation order.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// The module, binary or text.
    pub wasm: &'a [u8],
    /// Import module names that named an earlier member when this one was
    /// instantiated, with that member's index.
    pub links: &'a [(String, usize)],
    /// Its instantiation trapped: only what it wrote before the trap stays.
    pub partial: bool,
    /// It was instantiated after calls that may have written state it
    /// shares: its data segments and start run in its init function.
    pub deferred: bool,
}

/// The name under which the merge exports member `member`'s export `name`.
pub fn export_name(member: usize, name: &str) -> String {
    format!("{member}/{name}")
}

/// The export of deferred member `member`'s init function (no parameters,
/// no results). Every other export of a merge is `member/name`, so this
/// name, without the slash, is no member's.
pub fn init_name(member: usize) -> String {
    format!("{member}:init")
}

/// The members as one module (see the module docs). Each member must be
/// valid with `features`; the merge itself may need multiple tables, so it
/// validates with reference types and bulk memory added
/// ([`merged_features`]). Errors say why the group cannot be one module.
pub fn merge(members: &[Member], features: WasmFeatures) -> Result<Vec<u8>, String> {
    let mut binaries = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        let bytes = super::to_binary(m.wasm).map_err(|e| format!("member {i}: {e}"))?;
        Validator::new_with_features(features)
            .validate_all(&bytes)
            .map_err(|e| format!("member {i} is invalid: {e}"))?;
        binaries.push(bytes);
    }
    let parsed = binaries
        .iter()
        .map(|b| Parsed::read(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("reading a member: {e}"))?;
    let last = members.len().saturating_sub(1);
    let applied = |i: usize| !members[i].partial && !members[i].deferred;
    if let Some(i) = (0..last).find(|&i| parsed[i].start.is_some() && applied(i)) {
        return Err(format!(
            "a start function in a linked module that is not the last one (member {i})"
        ));
    }
    let plan = Plan::new(members, &parsed)?;
    plan.encode(&parsed)
        .map_err(|e| format!("re-encoding: {e}"))
}

/// The features a merge validates with: the version's, and what several
/// tables (or memories) and explicit table indices in element segments
/// need.
pub fn merged_features(features: WasmFeatures) -> WasmFeatures {
    // Several memories validate, so that hullvm's compile, not the
    // validator, says it does not compile them.
    features
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::MULTI_MEMORY
}

/// What a member's sections hold, read once.
#[derive(Default)]
struct Parsed<'a> {
    types: Option<wasmparser::TypeSectionReader<'a>>,
    type_count: u32,
    imports: Vec<wasmparser::Import<'a>>,
    functions: Option<wasmparser::FunctionSectionReader<'a>>,
    tables: Option<wasmparser::TableSectionReader<'a>>,
    memories: Option<wasmparser::MemorySectionReader<'a>>,
    globals: Option<wasmparser::GlobalSectionReader<'a>>,
    exports: Vec<wasmparser::Export<'a>>,
    start: Option<u32>,
    elements: Option<wasmparser::ElementSectionReader<'a>>,
    data: Option<wasmparser::DataSectionReader<'a>>,
    data_count: bool,
    code: Vec<wasmparser::FunctionBody<'a>>,
}

impl<'a> Parsed<'a> {
    fn read(bytes: &'a [u8]) -> Result<Self, wasmparser::BinaryReaderError> {
        let mut p = Parsed::default();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::TypeSection(r) => {
                    p.type_count = r.count();
                    p.types = Some(r);
                }
                Payload::ImportSection(r) => {
                    for import in r.into_imports() {
                        p.imports.push(import?);
                    }
                }
                Payload::FunctionSection(r) => p.functions = Some(r),
                Payload::TableSection(r) => p.tables = Some(r),
                Payload::MemorySection(r) => p.memories = Some(r),
                Payload::GlobalSection(r) => p.globals = Some(r),
                Payload::ExportSection(r) => {
                    for export in r {
                        p.exports.push(export?);
                    }
                }
                Payload::StartSection { func, .. } => p.start = Some(func),
                Payload::ElementSection(r) => p.elements = Some(r),
                Payload::DataCountSection { .. } => p.data_count = true,
                Payload::DataSection(r) => p.data = Some(r),
                Payload::CodeSectionEntry(body) => p.code.push(body),
                _ => {}
            }
        }
        Ok(p)
    }

    fn defined(&self, kind: ExternalKind) -> u32 {
        match kind {
            ExternalKind::Func | ExternalKind::FuncExact => {
                self.functions.as_ref().map_or(0, |r| r.count())
            }
            ExternalKind::Table => self.tables.as_ref().map_or(0, |r| r.count()),
            ExternalKind::Memory => self.memories.as_ref().map_or(0, |r| r.count()),
            ExternalKind::Global => self.globals.as_ref().map_or(0, |r| r.count()),
            ExternalKind::Tag => 0,
        }
    }

    fn data_segments(&self) -> u32 {
        self.data.as_ref().map_or(0, |r| r.count())
    }

    fn element_segments(&self) -> u32 {
        self.elements.as_ref().map_or(0, |r| r.count())
    }
}

/// The four index spaces a member's items live in.
const KINDS: [ExternalKind; 4] = [
    ExternalKind::Func,
    ExternalKind::Table,
    ExternalKind::Memory,
    ExternalKind::Global,
];

fn kind_of(ty: TypeRef) -> Option<usize> {
    match ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => Some(0),
        TypeRef::Table(_) => Some(1),
        TypeRef::Memory(_) => Some(2),
        TypeRef::Global(_) => Some(3),
        TypeRef::Tag(_) => None,
    }
}

fn kind_index(kind: ExternalKind) -> Option<usize> {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => Some(0),
        ExternalKind::Table => Some(1),
        ExternalKind::Memory => Some(2),
        ExternalKind::Global => Some(3),
        ExternalKind::Tag => None,
    }
}

/// Where every member's items land in the merge.
struct Plan<'a> {
    /// The host imports, once each: (member whose types they use, import).
    host: Vec<(usize, wasmparser::Import<'a>)>,
    /// Per member: its first type, data segment and element segment in the
    /// merge, and the merged index of each of its items, per kind.
    maps: Vec<Remap>,
    /// Per member: how many of its element and data segments the merge
    /// keeps (fewer for a partial member).
    kept: Vec<(u32, u32)>,
    /// The last member's start function, unless its instantiation trapped
    /// or is deferred.
    start: Option<u32>,
    /// The deferred members' init functions, in member order.
    inits: Vec<Init<'a>>,
}

/// An active data segment: its merged memory, offset and bytes.
type Segment<'a> = (u32, u64, &'a [u8]);

/// A deferred member's instantiation, as its init function does it.
struct Init<'a> {
    member: usize,
    /// Its active data segments, in order.
    data: Vec<Segment<'a>>,
    /// A segment that does not fit ends the function instead of trapping:
    /// the member's instantiation trapped there, and what it wrote before
    /// stays.
    partial: bool,
    /// Its start function (the member's index), called after the segments.
    start: Option<u32>,
}

#[derive(Debug, Clone, Default)]
struct Remap {
    types: u32,
    data: u32,
    elements: u32,
    items: [Vec<u32>; 4],
    /// Initialisers of the merge's defined immutable globals: a constant
    /// expression that reads one (once an import, now defined) reads the
    /// initialiser instead, as wasm before GC requires.
    constants: HashMap<u32, wasm_encoder::ConstExpr>,
}

impl<'a> Plan<'a> {
    fn new(members: &[Member], parsed: &[Parsed<'a>]) -> Result<Self, String> {
        let mut host: Vec<(usize, wasmparser::Import<'a>)> = Vec::new();
        let mut host_index: HashMap<(&str, &str), u32> = HashMap::new();
        let mut imported = [0u32; 4];
        for (i, p) in parsed.iter().enumerate() {
            for import in &p.imports {
                if linked_member(members[i].links, import.module).is_some() {
                    continue;
                }
                let kind = kind_of(import.ty).ok_or("tag imports")?;
                if let std::collections::hash_map::Entry::Vacant(e) =
                    host_index.entry((import.module, import.name))
                {
                    e.insert(imported[kind]);
                    imported[kind] += 1;
                    host.push((i, *import));
                }
            }
        }
        let mut next_defined = imported;
        let (mut types, mut data, mut elements) = (0, 0, 0);
        let mut maps: Vec<Remap> = Vec::with_capacity(parsed.len());
        let mut kept = Vec::with_capacity(parsed.len());
        let mut sizes = Sizes::of_host(&host);
        let mut inits = Vec::new();
        for (i, p) in parsed.iter().enumerate() {
            let mut map = Remap {
                types,
                data,
                elements,
                ..Remap::default()
            };
            for import in &p.imports {
                let kind = kind_of(import.ty).ok_or("tag imports")?;
                let index = match linked_member(members[i].links, import.module) {
                    Some(j) => exported(&parsed[j], &maps[j], import.name, kind)
                        .ok_or_else(|| format!("member {j} exports no {}", import.name))?,
                    None => host_index[&(import.module, import.name)],
                };
                map.items[kind].push(index);
            }
            for (kind, &k) in KINDS.iter().enumerate() {
                for _ in 0..p.defined(k) {
                    map.items[kind].push(next_defined[kind]);
                    next_defined[kind] += 1;
                }
            }
            sizes.add_defined(p).map_err(|e| e.to_string())?;
            let all = (p.element_segments(), p.data_segments());
            let keep = if members[i].deferred {
                let init = sizes.deferred(i, members[i], p, &map)?;
                // Its data segments are the init function's stores.
                let keep = (init.1, 0);
                inits.push(init.0);
                keep
            } else if members[i].partial {
                let keep = sizes.before_trap(p, &map)?;
                if keep == all && start_writes(members[i].wasm) {
                    return Err(format!(
                        "member {i}'s start function may have written state before it trapped"
                    ));
                }
                keep
            } else {
                all
            };
            types += p.type_count;
            elements += keep.0;
            data += keep.1;
            kept.push(keep);
            maps.push(map);
        }
        let start = match (members.last(), parsed.last()) {
            (Some(m), Some(p)) if !m.partial && !m.deferred => p.start,
            _ => None,
        };
        Ok(Plan {
            host,
            maps,
            kept,
            start,
            inits,
        })
    }

    fn encode(&self, parsed: &[Parsed]) -> Result<Vec<u8>, ReencodeError<String>> {
        use wasm_encoder::*;
        let mut module = Module::new();
        let mut remaps: Vec<Remap> = self.maps.clone();

        let mut types = TypeSection::new();
        for (p, r) in parsed.iter().zip(&mut remaps) {
            if let Some(s) = &p.types {
                r.parse_type_section(&mut types, s.clone())?;
            }
        }
        // The init functions' `[] -> []`, after every member's types.
        let init_type = types.len();
        if !self.inits.is_empty() {
            types.ty().function([], []);
        }
        module.section(&types);

        let mut imports = ImportSection::new();
        for (member, import) in &self.host {
            let ty = remaps[*member].entity_type(import.ty)?;
            imports.import(import.module, import.name, ty);
        }
        if !imports.is_empty() {
            module.section(&imports);
        }

        let mut functions = FunctionSection::new();
        let mut tables = TableSection::new();
        let mut memories = MemorySection::new();
        let mut globals = GlobalSection::new();
        let mut constants = HashMap::new();
        for (p, r) in parsed.iter().zip(&mut remaps) {
            if let Some(s) = &p.functions {
                r.parse_function_section(&mut functions, s.clone())?;
            }
            if let Some(s) = &p.tables {
                r.parse_table_section(&mut tables, s.clone())?;
            }
            if let Some(s) = &p.memories {
                r.parse_memory_section(&mut memories, s.clone())?;
            }
            if let Some(s) = &p.globals {
                r.constants = constants.clone();
                for (k, global) in s.clone().into_iter().enumerate() {
                    let global = global?;
                    let init = r.const_expr(global.init_expr)?;
                    globals.global(r.global_type(global.ty)?, &init);
                    if !global.ty.mutable {
                        let defined = r.items[3].len() - s.count() as usize + k;
                        constants.insert(r.items[3][defined], init);
                    }
                }
            }
        }
        for r in &mut remaps {
            r.constants = constants.clone();
        }
        // Init functions come after every member's functions, so no
        // member's function indices move.
        let first_init = imported_functions(&self.host) + functions.len();
        for _ in &self.inits {
            functions.function(init_type);
        }
        module.section(&functions);
        module.section(&tables);
        module.section(&memories);
        module.section(&globals);

        let mut exports = ExportSection::new();
        for (i, (p, r)) in parsed.iter().zip(&mut remaps).enumerate() {
            for e in &p.exports {
                let index = r.external_index(e.kind, e.index)?;
                exports.export(&export_name(i, e.name), r.export_kind(e.kind)?, index);
            }
        }
        for (k, init) in self.inits.iter().enumerate() {
            exports.export(
                &init_name(init.member),
                ExportKind::Func,
                first_init + k as u32,
            );
        }
        module.section(&exports);

        if let (Some(start), Some(r)) = (self.start, remaps.last_mut()) {
            let function_index = r.function_index(start)?;
            module.section(&StartSection { function_index });
        }

        let mut elements = ElementSection::new();
        for ((p, r), &(keep, _)) in parsed.iter().zip(&mut remaps).zip(&self.kept) {
            if let Some(s) = &p.elements {
                for element in s.clone().into_iter().take(keep as usize) {
                    r.parse_element(&mut elements, element?)?;
                }
            }
        }
        module.section(&elements);

        if parsed.iter().any(|p| p.data_count) {
            let count = self.kept.iter().map(|&(_, data)| data).sum();
            module.section(&DataCountSection { count });
        }

        let mut code = CodeSection::new();
        for (p, r) in parsed.iter().zip(&mut remaps) {
            for body in &p.code {
                r.parse_function_body(&mut code, body.clone())?;
            }
        }
        for init in &self.inits {
            code.function(&init.body(&mut remaps[init.member])?);
        }
        module.section(&code);

        let mut data = DataSection::new();
        for ((p, r), &(_, keep)) in parsed.iter().zip(&mut remaps).zip(&self.kept) {
            if let Some(s) = &p.data {
                for datum in s.clone().into_iter().take(keep as usize) {
                    r.parse_data(&mut data, datum?)?;
                }
            }
        }
        module.section(&data);
        Ok(module.finish())
    }
}

/// Whether a member's start function may write state (unreadable: yes).
fn start_writes(wasm: &[u8]) -> bool {
    super::start_writes_state(wasm)
}

/// The sizes of the merge's tables (slots) and memories (bytes) at
/// instantiation, in merged index order.
#[derive(Debug, Default)]
struct Sizes {
    tables: Vec<u64>,
    memories: Vec<u64>,
}

impl Sizes {
    /// The host's tables and memories: `spectest`'s have its sizes; another
    /// import's size is what it declares (no host provides one, so no run
    /// gets that far).
    fn of_host(host: &[(usize, wasmparser::Import)]) -> Sizes {
        let mut sizes = Sizes::default();
        for (_, import) in host {
            let spectest = import.module == "spectest";
            match import.ty {
                TypeRef::Table(_) if spectest => sizes.tables.push(super::host::SPECTEST_TABLE.0),
                TypeRef::Table(t) => sizes.tables.push(t.initial),
                TypeRef::Memory(_) if spectest => sizes
                    .memories
                    .push(super::host::SPECTEST_MEMORY_PAGES.0 << 16),
                TypeRef::Memory(m) => sizes.memories.push(m.initial << 16),
                _ => {}
            }
        }
        sizes
    }

    fn add_defined(&mut self, p: &Parsed) -> Result<(), wasmparser::BinaryReaderError> {
        for t in p.tables.clone().into_iter().flatten() {
            self.tables.push(t?.ty.initial);
        }
        for m in p.memories.clone().into_iter().flatten() {
            self.memories.push(m?.initial << 16);
        }
        Ok(())
    }

    /// How many of a partial member's element and data segments apply
    /// before its instantiation traps.
    fn before_trap(&self, p: &Parsed, map: &Remap) -> Result<(u32, u32), String> {
        let all = (p.element_segments(), p.data_segments());
        if let Some(k) = self.elements_before_trap(p, map)? {
            return Ok((k, 0));
        }
        for (k, d) in p.data.clone().into_iter().flatten().enumerate() {
            let d = d.map_err(|e| e.to_string())?;
            if let wasmparser::DataKind::Active {
                memory_index,
                offset_expr,
            } = d.kind
            {
                let memory = map.items[2][memory_index as usize] as usize;
                if offset(&offset_expr)? + d.data.len() as u64 > self.memories[memory] {
                    return Ok((all.0, k as u32));
                }
            }
        }
        Ok(all)
    }

    /// A deferred member's init function, and how many of its element
    /// segments the merge keeps: all of them (one that does not fit traps
    /// the merge's instantiation as it trapped the member's, whatever the
    /// calls before did, since tables never change), or, for a partial
    /// member, those before the first that does not fit (then no data
    /// segment was written). Kept segments must write the member's own
    /// tables: a call before could have seen a shared table's slot empty.
    fn deferred<'a>(
        &self,
        i: usize,
        member: Member,
        p: &Parsed<'a>,
        map: &Remap,
    ) -> Result<(Init<'a>, u32), String> {
        let all = p.element_segments();
        let trapped = match member.partial {
            true => self.elements_before_trap(p, map)?,
            false => None,
        };
        let kept = trapped.unwrap_or(all);
        let imported_tables = p
            .imports
            .iter()
            .filter(|import| matches!(import.ty, TypeRef::Table(_)))
            .count() as u32;
        for e in p.elements.clone().into_iter().flatten().take(kept as usize) {
            let e = e.map_err(|e| e.to_string())?;
            if let wasmparser::ElementKind::Active { table_index, .. } = e.kind {
                if table_index.unwrap_or(0) < imported_tables {
                    return Err(format!(
                        "member {i}, instantiated after calls, writes a shared table"
                    ));
                }
            }
        }
        let data = match trapped {
            Some(_) => Vec::new(),
            None => active_data(p, map)?,
        };
        if member.partial && trapped.is_none() && p.start.is_some() && start_writes(member.wasm) {
            return Err(format!(
                "member {i}'s start function may have written state before it trapped"
            ));
        }
        let init = Init {
            member: i,
            data,
            partial: member.partial,
            start: p.start.filter(|_| !member.partial),
        };
        Ok((init, kept))
    }

    /// The index of the first of a member's element segments that does not
    /// fit its table, if one does not.
    fn elements_before_trap(&self, p: &Parsed, map: &Remap) -> Result<Option<u32>, String> {
        let elements = p.elements.clone().into_iter().flatten();
        for (k, e) in elements.enumerate() {
            let e = e.map_err(|e| e.to_string())?;
            if let wasmparser::ElementKind::Active {
                table_index,
                offset_expr,
            } = e.kind
            {
                let table = map.items[1][table_index.unwrap_or(0) as usize] as usize;
                let items = match &e.items {
                    wasmparser::ElementItems::Functions(r) => r.count(),
                    wasmparser::ElementItems::Expressions(_, r) => r.count(),
                };
                let end = offset(&offset_expr)? + u64::from(items);
                if end > self.tables[table] {
                    return Ok(Some(k as u32));
                }
            }
        }
        Ok(None)
    }
}

/// A member's active data segments.
fn active_data<'a>(p: &Parsed<'a>, map: &Remap) -> Result<Vec<Segment<'a>>, String> {
    let mut data = Vec::new();
    for d in p.data.clone().into_iter().flatten() {
        let d = d.map_err(|e| e.to_string())?;
        let wasmparser::DataKind::Active {
            memory_index,
            offset_expr,
        } = d.kind
        else {
            return Err("a passive data segment in a module instantiated after calls".into());
        };
        let memory = map.items[2][memory_index as usize];
        data.push((memory, offset(&offset_expr)?, d.data));
    }
    Ok(data)
}

/// Functions the merge imports from the host.
fn imported_functions(host: &[(usize, wasmparser::Import)]) -> u32 {
    let functions = host.iter().filter(|(_, i)| kind_of(i.ty) == Some(0));
    functions.count() as u32
}

impl Init<'_> {
    /// The init function: each data segment checked whole, then stored;
    /// then the start function.
    fn body(&self, remap: &mut Remap) -> Result<wasm_encoder::Function, ReencodeError<String>> {
        use wasm_encoder::{BlockType, Function, Instruction as I, MemArg};
        let mut f = Function::new([]);
        for &(memory, offset, bytes) in &self.data {
            let end = offset + bytes.len() as u64;
            if end > 0 {
                // Fits iff the memory has at least `pages` pages.
                let pages = end.div_ceil(1 << 16);
                if pages > 1 << 16 {
                    self.misfit(&mut f, memory, offset, bytes.len());
                    break;
                }
                f.instruction(&I::MemorySize(memory));
                f.instruction(&I::I32Const(pages as u32 as i32));
                f.instruction(&I::I32LtU);
                f.instruction(&I::If(BlockType::Empty));
                self.misfit(&mut f, memory, offset, bytes.len());
                f.instruction(&I::End);
            }
            let arg = |align| MemArg {
                offset: 0,
                align,
                target: wasm_encoder::MemArgTarget::Memory(memory),
                ordering: None,
            };
            // The segment fits, so every address is below 2^32.
            for (k, chunk) in bytes.chunks(4).enumerate() {
                let at = offset + 4 * k as u64;
                if let Ok(word) = <[u8; 4]>::try_from(chunk) {
                    f.instruction(&I::I32Const(at as u32 as i32));
                    f.instruction(&I::I32Const(u32::from_le_bytes(word) as i32));
                    f.instruction(&I::I32Store(arg(2)));
                    continue;
                }
                for (b, &byte) in (at..).zip(chunk) {
                    f.instruction(&I::I32Const(b as u32 as i32));
                    f.instruction(&I::I32Const(i32::from(byte)));
                    f.instruction(&I::I32Store8(arg(0)));
                }
            }
        }
        if let Some(start) = self.start {
            f.instruction(&I::Call(remap.function_index(start)?));
        }
        f.instruction(&I::End);
        Ok(f)
    }

    /// What a segment of `len` bytes at `offset` that does not fit does:
    /// a partial member's init ends; otherwise a read of the segment's
    /// last byte (the byte before it, for an empty segment) traps as an
    /// out-of-bounds access, as instantiation would. The address is the
    /// offset and the memarg's offset the rest, so it does not wrap.
    fn misfit(&self, f: &mut wasm_encoder::Function, memory: u32, offset: u64, len: usize) {
        use wasm_encoder::{Instruction as I, MemArg};
        if self.partial {
            f.instruction(&I::Return);
            return;
        }
        let (address, rest) = match len {
            0 => (offset - 1, 0),
            _ => (offset, len as u64 - 1),
        };
        f.instruction(&I::I32Const(address as u32 as i32));
        f.instruction(&I::I32Load8U(MemArg {
            offset: rest,
            align: 0,
            target: wasm_encoder::MemArgTarget::Memory(memory),
            ordering: None,
        }));
        f.instruction(&I::Drop);
    }
}

/// A segment's offset, when it is an `i32.const`.
fn offset(expr: &wasmparser::ConstExpr) -> Result<u64, String> {
    let mut ops = expr.get_operators_reader();
    match ops.read() {
        Ok(wasmparser::Operator::I32Const { value }) if ops.is_end_then_eof() => {
            Ok(u64::from(value as u32))
        }
        _ => Err(
            "a segment with a non-constant offset in a trapped or deferred instantiation".into(),
        ),
    }
}

fn linked_member(links: &[(String, usize)], module: &str) -> Option<usize> {
    links
        .iter()
        .find(|(name, _)| name == module)
        .map(|&(_, j)| j)
}

/// The merged index of member `p`'s export `name` of kind `kind`.
fn exported(p: &Parsed, map: &Remap, name: &str, kind: usize) -> Option<u32> {
    let e = p.exports.iter().find(|e| e.name == name)?;
    (kind_index(e.kind)? == kind).then_some(())?;
    map.items[kind].get(e.index as usize).copied()
}

impl Remap {
    fn item(&self, kind: usize, index: u32) -> Result<u32, ReencodeError<String>> {
        self.items[kind]
            .get(index as usize)
            .copied()
            .ok_or_else(|| ReencodeError::UserError(format!("index {index} out of range")))
    }
}

impl Reencode for Remap {
    type Error = String;

    fn type_index(&mut self, ty: u32) -> Result<u32, ReencodeError<String>> {
        Ok(self.types + ty)
    }
    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<String>> {
        self.item(0, func)
    }
    fn table_index(&mut self, table: u32) -> Result<u32, ReencodeError<String>> {
        self.item(1, table)
    }
    fn memory_index(&mut self, memory: u32) -> Result<u32, ReencodeError<String>> {
        self.item(2, memory)
    }
    fn global_index(&mut self, global: u32) -> Result<u32, ReencodeError<String>> {
        self.item(3, global)
    }
    fn data_index(&mut self, data: u32) -> Result<u32, ReencodeError<String>> {
        Ok(self.data + data)
    }
    fn element_index(&mut self, element: u32) -> Result<u32, ReencodeError<String>> {
        Ok(self.elements + element)
    }
    fn const_expr(
        &mut self,
        expr: wasmparser::ConstExpr,
    ) -> Result<wasm_encoder::ConstExpr, ReencodeError<String>> {
        let mut ops = expr.get_operators_reader();
        let read = match ops.read() {
            Ok(wasmparser::Operator::GlobalGet { global_index }) if ops.is_end_then_eof() => {
                Some(global_index)
            }
            _ => None,
        };
        if let Some(global) = read {
            if let Some(init) = self.constants.get(&self.item(3, global)?) {
                return Ok(init.clone());
            }
        }
        wasm_encoder::reencode::utils::const_expr(self, expr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `first`, registered as "A", and `rest` (with whether each is
    /// partial), each importing from "A".
    fn group<'a>(first: &'a [u8], rest: &[(&'a [u8], bool)]) -> Vec<Member<'a>> {
        static LINKS: std::sync::LazyLock<[(String, usize); 1]> =
            std::sync::LazyLock::new(|| [("A".to_string(), 0)]);
        let mut members = vec![Member {
            wasm: first,
            links: &[],
            partial: false,
            deferred: false,
        }];
        members.extend(rest.iter().map(|&(wasm, partial)| Member {
            wasm,
            links: &*LINKS,
            partial,
            deferred: false,
        }));
        members
    }

    /// Calls in order on one wasmi instance of `wasm`: each call's i32
    /// result (0 for none), or its trap's message.
    fn calls(wasm: &[u8], calls: &[(&str, &[i32])]) -> Vec<Result<i32, String>> {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, wasm).expect("merge compiles on wasmi");
        let mut store = wasmi::Store::new(&engine, ());
        let linker = wasmi::Linker::<()>::new(&engine);
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .expect("merge instantiates");
        let mut results = Vec::new();
        for &(name, args) in calls {
            let f = instance.get_func(&store, name).expect("export exists");
            let args: Vec<wasmi::Val> = args.iter().map(|&a| wasmi::Val::I32(a)).collect();
            let mut out = vec![wasmi::Val::I32(0); f.ty(&store).results().len()];
            let result = f.call(&mut store, &args, &mut out);
            results.push(
                result
                    .map(|()| out.first().and_then(|v| v.i32()).unwrap_or(0))
                    .map_err(|e| e.to_string()),
            );
        }
        results
    }

    fn wat(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("test module is valid text")
    }

    /// Run export `name` of `wasm` on wasmi (no imports), one i32 result.
    fn call(wasm: &[u8], name: &str, args: &[i32]) -> i32 {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, wasm).expect("merge compiles on wasmi");
        let mut store = wasmi::Store::new(&engine, ());
        let linker = wasmi::Linker::<()>::new(&engine);
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .expect("merge instantiates");
        let f = instance.get_func(&store, name).expect("export exists");
        let args: Vec<wasmi::Val> = args.iter().map(|&a| wasmi::Val::I32(a)).collect();
        let mut out = [wasmi::Val::I32(0)];
        f.call(&mut store, &args, &mut out).expect("call finishes");
        out[0].i32().expect("an i32 result")
    }

    #[test]
    fn imports_of_members_become_the_items_they_name() {
        let a = wat(r#"(module
            (memory (export "mem") 1)
            (global $g (export "g") i32 (i32.const 40))
            (global $m (export "m") (mut i32) (i32.const 1))
            (table (export "tab") 4 funcref)
            (elem (i32.const 0) $two)
            (func $two (result i32) (i32.const 2))
            (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
            (func (export "call") (param i32) (result i32)
              (call_indirect (result i32) (local.get 0))))"#);
        let b = wat(r#"(module
            (import "A" "mem" (memory 1))
            (import "A" "g" (global $g i32))
            (import "A" "m" (global $m (mut i32)))
            (import "A" "tab" (table 4 funcref))
            (import "A" "load" (func $load (param i32) (result i32)))
            (global $h (export "h") i32 (global.get $g))
            (elem (i32.const 1) $three)
            (data (i32.const 7) "\2a")
            (func $three (result i32) (i32.const 3))
            (func (export "sum") (result i32)
              (global.set $m (i32.add (global.get $m) (global.get $h)))
              (i32.add (global.get $m) (call $load (i32.const 7)))))"#);
        let merged =
            merge(&group(&a, &[(&b, false)]), WasmFeatures::default()).expect("the group merges");
        Validator::new_with_features(merged_features(WasmFeatures::default()))
            .validate_all(&merged)
            .expect("the merge validates");
        let imports = Parser::new(0)
            .parse_all(&merged)
            .filter(|p| matches!(p, Ok(Payload::ImportSection(_))))
            .count();
        assert_eq!(imports, 0, "every import named a member");
        // B's data and element segments land in A's memory and table.
        assert_eq!(call(&merged, &export_name(0, "load"), &[7]), 42);
        assert_eq!(call(&merged, &export_name(0, "call"), &[0]), 2);
        assert_eq!(call(&merged, &export_name(0, "call"), &[1]), 3);
        // 1 + 40 (A's mutable global, set through B) + 42 (A's memory).
        assert_eq!(call(&merged, &export_name(1, "sum"), &[]), 83);
    }

    #[test]
    fn refuses_a_start_function_before_the_last_member() {
        let a = wat(r#"(module (func $s) (start $s) (func (export "f")))"#);
        let b = wat(r#"(module (import "A" "f" (func)))"#);
        let why = merge(&group(&a, &[(&b, false)]), WasmFeatures::default()).unwrap_err();
        assert!(why.contains("start function"), "{why}");
    }

    #[test]
    fn a_partial_member_keeps_what_it_wrote_before_the_trap() {
        let a = wat(r#"(module
            (memory (export "mem") 1)
            (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))"#);
        // The second segment does not fit: the first stays written.
        let data = wat(r#"(module
            (import "A" "mem" (memory 1))
            (data (i32.const 0) "a")
            (data (i32.const 0x10000) "b"))"#);
        // Every segment fits; the start traps before writing anything.
        let start = wat(r#"(module
            (import "A" "mem" (memory 1))
            (data (i32.const 1) "c")
            (func $s unreachable)
            (start $s))"#);
        // A start that may have written before its trap cannot be modelled.
        let writer = wat(r#"(module
            (import "A" "mem" (memory 1))
            (func $s (i32.store8 (i32.const 2) (i32.const 1)) unreachable)
            (start $s))"#);
        let partial = [(&data[..], true), (&start[..], true)];
        let merged =
            merge(&group(&a, &partial), WasmFeatures::default()).expect("the group merges");
        assert_eq!(
            call(&merged, &export_name(0, "load"), &[0]),
            i32::from(b'a')
        );
        assert_eq!(
            call(&merged, &export_name(0, "load"), &[1]),
            i32::from(b'c')
        );
        let why = merge(&group(&a, &[(&writer, true)]), WasmFeatures::default()).unwrap_err();
        assert!(why.contains("may have written state"), "{why}");
    }

    /// A member that writes shared memory at its init step, after a call
    /// that grew it: `A`, and deferred members importing A's memory.
    fn deferred(a: &[u8], rest: &[(&[u8], bool)]) -> Vec<u8> {
        let mut members = group(a, rest);
        for m in &mut members[1..] {
            m.deferred = true;
        }
        merge(&members, WasmFeatures::default()).expect("the group merges")
    }

    const GROWS: &str = r#"(module
        (memory (export "mem") 1 4)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))"#;

    #[test]
    fn a_deferred_member_writes_after_the_calls_before_it() {
        let a = wat(GROWS);
        // Fits only once A's memory has grown; a start function that
        // writes too, after the segment.
        let b = wat(r#"(module
            (import "A" "mem" (memory 1))
            (data (i32.const 0x1fffe) "xy")
            (data (i32.const 8) "abcdefghi")
            (func $s (i32.store8 (i32.const 0x1fffe) (i32.const 0x7a)))
            (start $s))"#);
        let merged = deferred(&a, &[(&b, false)]);
        let load = export_name(0, "load");
        let grow = export_name(0, "grow");
        let init = init_name(1);
        // Before A grows, B's instantiation traps, writing nothing.
        let early = calls(&merged, &[(&init, &[]), (&load, &[8])]);
        assert!(
            matches!(&early[0], Err(e) if e.contains("out of bounds")),
            "{early:?}"
        );
        assert_eq!(early[1], Ok(0));
        let late = calls(
            &merged,
            &[
                (&grow, &[1]),
                (&init, &[]),
                (&load, &[0x1fffe]),
                (&load, &[0x1ffff]),
                (&load, &[8]),
                (&load, &[16]),
            ],
        );
        let want = [
            1,
            0,
            0x7a,
            i32::from(b'y'),
            i32::from(b'a'),
            i32::from(b'i'),
        ];
        assert_eq!(late, want.map(Ok));
    }

    #[test]
    fn a_deferred_instantiation_checks_each_segment_whole() {
        let a = wat(GROWS);
        let c = wat(r#"(module
            (import "A" "mem" (memory 1))
            (data (i32.const 0) "abc")
            (data (i32.const 0xffff) "de")
            (data (i32.const 4) "f"))"#);
        let load = export_name(0, "load");
        let init = init_name(1);
        let order = |partial| {
            let merged = deferred(&a, &[(&c, partial)]);
            calls(
                &merged,
                &[
                    (&init, &[]),
                    (&load, &[2]),
                    (&load, &[0xffff]),
                    (&load, &[4]),
                ],
            )
        };
        // The segment that does not fit traps before writing its first
        // byte; the one before it stays written.
        let trapped = order(false);
        assert!(
            matches!(&trapped[0], Err(e) if e.contains("out of bounds")),
            "{trapped:?}"
        );
        assert_eq!(trapped[1..], [Ok(i32::from(b'c')), Ok(0), Ok(0)]);
        // A partial member's init stops there instead.
        assert_eq!(order(true), [Ok(0), Ok(i32::from(b'c')), Ok(0), Ok(0)]);
    }

    #[test]
    fn a_deferred_member_keeps_its_table_and_refuses_a_shared_one() {
        let a = wat(r#"(module
            (memory (export "mem") 1)
            (table (export "tab") 2 funcref)
            (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))"#);
        let own = wat(r#"(module
            (import "A" "mem" (memory 1))
            (data (i32.const 0) "a")
            (table 0 funcref)
            (func)
            (elem (i32.const 0) 0))"#);
        // Partial: the element segment trapped first, so nothing is written.
        let merged = deferred(&a, &[(&own, true)]);
        let load = export_name(0, "load");
        assert_eq!(
            calls(&merged, &[(&init_name(1), &[]), (&load, &[0])]),
            [Ok(0), Ok(0)]
        );
        let shared = wat(r#"(module
            (import "A" "tab" (table 2 funcref))
            (func)
            (elem (i32.const 0) 0))"#);
        let mut members = group(&a, &[(&shared, false)]);
        members[1].deferred = true;
        let why = merge(&members, WasmFeatures::default()).unwrap_err();
        assert!(why.contains("shared table"), "{why}");
    }

    #[test]
    fn names_a_member_export() {
        assert_eq!(export_name(3, "a/b"), "3/a/b");
    }
}
