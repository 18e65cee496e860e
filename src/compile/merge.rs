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
}

/// The name under which the merge exports member `member`'s export `name`.
pub fn export_name(member: usize, name: &str) -> String {
    format!("{member}/{name}")
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
    if let Some(i) = (0..last).find(|&i| parsed[i].start.is_some() && !members[i].partial) {
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
    /// The last member's start function, unless its instantiation trapped.
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
            let keep = if members[i].partial {
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
            (Some(m), Some(p)) if !m.partial => p.start,
            _ => None,
        };
        Ok(Plan {
            host,
            maps,
            kept,
            start,
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
                    return Ok((k as u32, 0));
                }
            }
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
}

/// A segment's offset, when it is an `i32.const`.
fn offset(expr: &wasmparser::ConstExpr) -> Result<u64, String> {
    let mut ops = expr.get_operators_reader();
    match ops.read() {
        Ok(wasmparser::Operator::I32Const { value }) if ops.is_end_then_eof() => {
            Ok(u64::from(value as u32))
        }
        _ => Err("a trapped instantiation's segment with a non-constant offset".into()),
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
        }];
        members.extend(rest.iter().map(|&(wasm, partial)| Member {
            wasm,
            links: &*LINKS,
            partial,
        }));
        members
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

    #[test]
    fn names_a_member_export() {
        assert_eq!(export_name(3, "a/b"), "3/a/b");
    }
}
