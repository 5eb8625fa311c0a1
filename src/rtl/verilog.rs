//! Prints a [`Module`] as Verilog-2005, one module per file. Prints only: every decision was made
//! by lowering. Before printing it checks the width rules of [`super::netlist`] (a failure is an
//! internal error), removes nets nothing reads, and marks nets whose bits are only partly read
//! with a targeted Verilator waiver (their dropped bits are dropped by design, e.g. a truncating
//! cast).

use super::netlist::*;
use crate::diag::{Error, Result};
use std::fmt::Write;

/// Removes nets (and their registers) that no output, instance or other live net reads.
pub fn prune(m: &mut Module) {
    let n = m.nets.len();
    let mut live = vec![false; n];
    let mut stack: Vec<NetId> = m
        .ports
        .iter()
        .filter(|(_, d)| *d == Dir::Output)
        .map(|(id, _)| *id)
        .collect();
    stack.extend(
        m.instances
            .iter()
            .flat_map(|i| i.connections.iter().map(|(_, id)| *id)),
    );
    stack.extend(
        m.ports
            .iter()
            .filter(|(_, d)| *d == Dir::Input)
            .map(|(id, _)| *id),
    );
    while let Some(id) = stack.pop() {
        if live[id.0] {
            continue;
        }
        live[id.0] = true;
        reads(&m.nets[id.0].def, &mut |r, _| stack.push(r));
    }
    let mut map = vec![None; n];
    let mut nets = Vec::new();
    for (i, net) in m.nets.drain(..).enumerate() {
        if live[i] {
            map[i] = Some(NetId(nets.len()));
            nets.push(net);
        }
    }
    let re = |id: NetId| map[id.0].expect("live nets only read live nets");
    for net in &mut nets {
        remap(&mut net.def, &re);
    }
    m.nets = nets;
    for (id, _) in &mut m.ports {
        *id = re(*id);
    }
    for inst in &mut m.instances {
        for (_, id) in &mut inst.connections {
            *id = re(*id);
        }
    }
}

/// Calls `f(net, Some((hi, lo)))` for each bit range read by `def` (`None` = all bits).
fn reads(def: &Def, f: &mut dyn FnMut(NetId, Option<(u32, u32)>)) {
    let op = |o: &Operand, f: &mut dyn FnMut(NetId, Option<(u32, u32)>)| {
        if let Operand::Net(n) = o {
            f(*n, None)
        }
    };
    match def {
        Def::Input | Def::Instance => {}
        Def::Reg(d) => f(*d, None),
        Def::Rom { addr, .. } => f(*addr, None),
        Def::RegCtl { d, en, .. } => {
            f(*d, None);
            if let Some(e) = en {
                f(*e, None)
            }
        }
        Def::Wire(e) => match e {
            Expr::Copy(a) => op(a, f),
            Expr::Concat(parts) => {
                for p in parts {
                    match p {
                        Part::Bits { net, hi, lo } => f(*net, Some((*hi, *lo))),
                        Part::Repeat { net, bit, .. } => f(*net, Some((*bit, *bit))),
                        Part::Fill { .. } | Part::Const { .. } => {}
                    }
                }
            }
            Expr::Add(a, b) | Expr::Sub(a, b) => {
                op(a, f);
                op(b, f)
            }
            Expr::Mux(c, a, b) => {
                f(*c, None);
                op(a, f);
                op(b, f)
            }
            Expr::MulConst(n, _) | Expr::Cmp(_, n, _) | Expr::Not(n) => f(*n, None),
            Expr::Mul(a, b) => {
                f(*a, None);
                f(*b, None)
            }
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|n| f(*n, None)),
            Expr::ReduceOr { net, hi, lo } => f(*net, Some((*hi, *lo))),
            Expr::Case { sel, arms, default } => {
                f(*sel, None);
                arms.iter().for_each(|(_, o)| op(o, f));
                op(default, f)
            }
        },
    }
}

fn remap(def: &mut Def, re: &dyn Fn(NetId) -> NetId) {
    match def {
        Def::Input | Def::Instance => {}
        Def::Reg(d) => *d = re(*d),
        Def::Rom { addr, .. } => *addr = re(*addr),
        Def::RegCtl { d, en, .. } => {
            *d = re(*d);
            if let Some(e) = en {
                *e = re(*e)
            }
        }
        Def::Wire(e) => {
            let old = std::mem::replace(e, Expr::Copy(Operand::Const(0)));
            let Ok(new) = old.try_map_nets::<std::convert::Infallible>(&mut |n| Ok(re(n)));
            *e = new;
        }
    }
}

/// A sized literal of `value`'s low `width` bits.
fn literal(value: i128, width: u32, signed: bool) -> String {
    let bits = if width >= 128 {
        value as u128
    } else {
        (value as u128) & ((1u128 << width) - 1)
    };
    format!("{width}'{}h{bits:x}", if signed { "s" } else { "" })
}

fn range(width: u32) -> String {
    if width == 1 {
        String::new()
    } else {
        format!(" [{}:0]", width - 1)
    }
}

fn decl(net: &Net, kind: &str) -> String {
    let attrs: String = net
        .attrs
        .iter()
        .map(|(k, v)| format!("(* {k} = \"{v}\" *) "))
        .collect();
    attrs
        + &format!(
            "{kind}{}{} {}",
            if net.signed { " signed" } else { "" },
            range(net.width),
            net.name
        )
}

struct Printer<'a> {
    m: &'a Module,
}

impl Printer<'_> {
    fn name(&self, id: NetId) -> &str {
        &self.m.net(id).name
    }

    fn bits(&self, id: NetId, hi: u32, lo: u32) -> Result<String> {
        let n = self.m.net(id);
        if hi >= n.width || lo > hi {
            return Err(Error::Internal(format!(
                "bits {hi}:{lo} of {}-bit net '{}'",
                n.width, n.name
            )));
        }
        Ok(if n.width == 1 {
            n.name.clone()
        } else if hi == lo {
            format!("{}[{hi}]", n.name)
        } else {
            format!("{}[{hi}:{lo}]", n.name)
        })
    }

    fn operand(&self, o: &Operand, width: u32, signed: bool) -> Result<String> {
        match o {
            Operand::Const(v) => Ok(literal(*v, width, signed)),
            Operand::Net(n) => {
                let net = self.m.net(*n);
                if net.width != width || net.signed != signed {
                    return Err(Error::Internal(format!(
                        "operand '{}' is {}{} bits where {}{} are needed",
                        net.name,
                        if net.signed { "signed " } else { "" },
                        net.width,
                        if signed { "signed " } else { "" },
                        width
                    )));
                }
                Ok(net.name.clone())
            }
        }
    }

    fn one_bit(&self, id: NetId) -> Result<&str> {
        let n = self.m.net(id);
        if n.width != 1 {
            return Err(Error::Internal(format!(
                "'{}' used as a 1-bit value has {} bits",
                n.name, n.width
            )));
        }
        Ok(&n.name)
    }

    fn expr(&self, target: &Net, e: &Expr) -> Result<String> {
        let (w, s) = (target.width, target.signed);
        Ok(match e {
            Expr::Copy(Operand::Net(n)) => {
                let src = self.m.net(*n);
                if src.width != w {
                    return Err(Error::Internal(format!(
                        "copy of {}-bit '{}' into {w} bits",
                        src.width, src.name
                    )));
                }
                src.name.clone()
            }
            Expr::Copy(c) => self.operand(c, w, s)?,
            Expr::Concat(parts) => {
                let mut total = 0;
                let mut items = Vec::new();
                for p in parts {
                    match p {
                        Part::Bits { net, hi, lo } => {
                            total += hi - lo + 1;
                            items.push(self.bits(*net, *hi, *lo)?);
                        }
                        Part::Repeat { net, bit, count } => {
                            total += count;
                            let b = self.bits(*net, *bit, *bit)?;
                            items.push(if *count == 1 {
                                b
                            } else {
                                format!("{{{count}{{{b}}}}}")
                            });
                        }
                        Part::Fill { ones, count } => {
                            total += count;
                            let v = if *ones { -1 } else { 0 };
                            items.push(literal(v, *count, false));
                        }
                        Part::Const { value, width } => {
                            total += width;
                            items.push(literal(*value, *width, false));
                        }
                    }
                }
                if total != w {
                    return Err(Error::Internal(format!(
                        "concatenation of {total} bits into {w}-bit '{}'",
                        target.name
                    )));
                }
                if items.len() == 1 {
                    items.pop().expect("one item")
                } else {
                    format!("{{{}}}", items.join(", "))
                }
            }
            Expr::Add(a, b) => format!("{} + {}", self.operand(a, w, s)?, self.operand(b, w, s)?),
            Expr::Sub(a, b) => format!("{} - {}", self.operand(a, w, s)?, self.operand(b, w, s)?),
            Expr::Mul(a, b) => format!(
                "{} * {}",
                self.operand(&Operand::Net(*a), w, s)?,
                self.operand(&Operand::Net(*b), w, s)?
            ),
            Expr::MulConst(n, c) => format!(
                "{} * {}",
                self.operand(&Operand::Net(*n), w, s)?,
                literal(*c, w, s)
            ),
            Expr::Cmp(op, n, c) => {
                let net = self.m.net(*n);
                let sym = match op {
                    CmpOp::Lt => "<",
                    CmpOp::Gt => ">",
                    CmpOp::Eq => "==",
                };
                format!("{} {sym} {}", net.name, literal(*c, net.width, net.signed))
            }
            Expr::Mux(c, a, b) => format!(
                "{} ? {} : {}",
                self.one_bit(*c)?,
                self.operand(a, w, s)?,
                self.operand(b, w, s)?
            ),
            Expr::And(v) => v
                .iter()
                .map(|n| self.one_bit(*n).map(str::to_owned))
                .collect::<Result<Vec<_>>>()?
                .join(" & "),
            Expr::Or(v) => v
                .iter()
                .map(|n| self.one_bit(*n).map(str::to_owned))
                .collect::<Result<Vec<_>>>()?
                .join(" | "),
            Expr::Not(n) => format!("~{}", self.one_bit(*n)?),
            Expr::Case { .. } => {
                return Err(Error::Internal(format!(
                    "case '{}' printed as an expression",
                    target.name
                )))
            }
            Expr::ReduceOr { net, hi, lo } => {
                if hi == lo {
                    self.bits(*net, *hi, *lo)?
                } else {
                    format!("|{}", self.bits(*net, *hi, *lo)?)
                }
            }
        })
    }
}

/// Prints `m` (already pruned) after `header` comment lines.
pub fn print(m: &Module, header: &[String]) -> Result<String> {
    let p = Printer { m };
    let mut used: Vec<Vec<bool>> = m
        .nets
        .iter()
        .map(|n| vec![false; n.width as usize])
        .collect();
    let mark = |used: &mut Vec<Vec<bool>>, id: NetId, r: Option<(u32, u32)>| {
        let (hi, lo) = r.unwrap_or((m.net(id).width - 1, 0));
        for b in lo..=hi.min(m.net(id).width - 1) {
            used[id.0][b as usize] = true;
        }
    };
    for net in &m.nets {
        reads(&net.def, &mut |id, r| mark(&mut used, id, r));
    }
    // A net an instance drives is read only if another instance connects to it too.
    let mut connections = vec![0usize; m.nets.len()];
    for inst in &m.instances {
        for (_, id) in &inst.connections {
            connections[id.0] += 1;
        }
    }
    for (i, &count) in connections.iter().enumerate() {
        let driven_here = matches!(m.nets[i].def, Def::Instance);
        if count > usize::from(driven_here) {
            mark(&mut used, NetId(i), None);
        }
    }
    for (id, dir) in &m.ports {
        if *dir == Dir::Output {
            mark(&mut used, *id, None);
        }
    }
    let partly_unused = |id: usize| used[id].iter().any(|u| !u);
    let waive = |out: &mut String, indent: &str, line: &str, id: usize| {
        if partly_unused(id) {
            let _ = writeln!(out, "{indent}/* verilator lint_off UNUSED */");
            let _ = writeln!(out, "{indent}{line}");
            let _ = writeln!(out, "{indent}/* verilator lint_on UNUSED */");
        } else {
            let _ = writeln!(out, "{indent}{line}");
        }
    };

    let mut out = String::new();
    for line in header.iter().chain(&m.comment) {
        let _ = writeln!(out, "// {line}");
    }
    let _ = writeln!(out, "module {} (", m.name);
    for (k, (id, dir)) in m.ports.iter().enumerate() {
        let net = m.net(*id);
        let kind = match (dir, &net.def) {
            (Dir::Input, _) => "input  wire",
            (Dir::Output, Def::Reg(_) | Def::RegCtl { .. }) => "output reg ",
            (Dir::Output, _) => "output wire",
        };
        let comma = if k + 1 < m.ports.len() { "," } else { "" };
        waive(
            &mut out,
            "    ",
            &format!("{}{comma}", decl(net, kind)),
            id.0,
        );
    }
    let _ = writeln!(out, ");");
    let is_port = |id: usize| m.ports.iter().any(|(p, _)| p.0 == id);

    let mut regs = Vec::new();
    for (i, net) in m.nets.iter().enumerate() {
        let note = net
            .note
            .as_ref()
            .map(|n| format!("  // {n}"))
            .unwrap_or_default();
        match &net.def {
            Def::Input => {}
            Def::Wire(Expr::Case { sel, arms, default }) => {
                if is_port(i) {
                    return Err(Error::Internal(format!(
                        "case '{}' drives a port",
                        net.name
                    )));
                }
                waive(
                    &mut out,
                    "    ",
                    &format!("{};{note}", decl(net, "reg ")),
                    i,
                );
                let sel_net = m.net(*sel);
                let _ = writeln!(out, "    always @* begin");
                let _ = writeln!(out, "        case ({})", sel_net.name);
                for (k, v) in arms {
                    let value = p.operand(v, net.width, net.signed)?;
                    let _ = writeln!(
                        out,
                        "            {}'d{k}: {} = {value};",
                        sel_net.width, net.name
                    );
                }
                let value = p.operand(default, net.width, net.signed)?;
                let _ = writeln!(out, "            default: {} = {value};", net.name);
                let _ = writeln!(out, "        endcase");
                let _ = writeln!(out, "    end");
            }
            Def::Wire(e) => {
                let rhs = p.expr(net, e)?;
                if is_port(i) {
                    let _ = writeln!(out, "    assign {} = {rhs};{note}", net.name);
                } else if !net.attrs.is_empty() {
                    // Attributes go on a plain declaration: some tools drop them on declaration
                    // assignments.
                    waive(
                        &mut out,
                        "    ",
                        &format!("{};{note}", decl(net, "wire")),
                        i,
                    );
                    let _ = writeln!(out, "    assign {} = {rhs};", net.name);
                } else {
                    waive(
                        &mut out,
                        "    ",
                        &format!("{} = {rhs};{note}", decl(net, "wire")),
                        i,
                    );
                }
            }
            Def::Reg(_) | Def::RegCtl { .. } => {
                let (d, en, reset) = match &net.def {
                    Def::RegCtl { d, en, reset } => (d, *en, *reset),
                    Def::Reg(d) => (d, None, None),
                    _ => unreachable!("matched above"),
                };
                let src = m.net(*d);
                if src.width != net.width || src.signed != net.signed {
                    return Err(Error::Internal(format!(
                        "register '{}' loads a different-width net",
                        net.name
                    )));
                }
                if !is_port(i) {
                    waive(
                        &mut out,
                        "    ",
                        &format!("{};{note}", decl(net, "reg ")),
                        i,
                    );
                }
                let load = match en {
                    Some(e) => format!("if ({}) {} <= {};", p.one_bit(e)?, net.name, src.name),
                    None => format!("{} <= {};", net.name, src.name),
                };
                regs.push(match reset {
                    Some(v) => format!(
                        "        if (rst) {} <= {}; else {load}",
                        net.name,
                        literal(v, net.width, net.signed)
                    ),
                    None => format!("        {load}"),
                });
            }
            Def::Rom { addr, words } => {
                if is_port(i) {
                    return Err(Error::Internal(format!("ROM '{}' drives a port", net.name)));
                }
                let depth = 1usize << m.net(*addr).width;
                if words.len() > depth {
                    return Err(Error::Internal(format!(
                        "ROM '{}' has more words than addresses",
                        net.name
                    )));
                }
                let _ = writeln!(
                    out,
                    "    reg{} {}_mem [0:{}];",
                    range(net.width),
                    net.name,
                    depth - 1
                );
                let _ = writeln!(out, "    initial begin");
                for k in 0..depth {
                    let v = words.get(k).copied().unwrap_or(0);
                    let _ = writeln!(
                        out,
                        "        {}_mem[{k}] = {};",
                        net.name,
                        literal(v, net.width, false)
                    );
                }
                let _ = writeln!(out, "    end");
                waive(
                    &mut out,
                    "    ",
                    &format!("{};{note}", decl(net, "reg ")),
                    i,
                );
                regs.push(format!(
                    "        {} <= {}_mem[{}];",
                    net.name,
                    net.name,
                    p.name(*addr)
                ));
            }
            Def::Instance => {
                if !is_port(i) {
                    waive(
                        &mut out,
                        "    ",
                        &format!("{};{note}", decl(net, "wire")),
                        i,
                    );
                }
            }
        }
    }
    if !regs.is_empty() {
        let _ = writeln!(out, "    always @(posedge clk) begin");
        for r in regs {
            let _ = writeln!(out, "{r}");
        }
        let _ = writeln!(out, "    end");
    }
    for inst in &m.instances {
        let params = if inst.params.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = inst
                .params
                .iter()
                .map(|(k, v)| format!(".{k}({v})"))
                .collect();
            format!(" #({})", list.join(", "))
        };
        let _ = writeln!(out, "    {}{params} {} (", inst.module, inst.name);
        for (k, (port, id)) in inst.connections.iter().enumerate() {
            let comma = if k + 1 < inst.connections.len() {
                ","
            } else {
                ""
            };
            let _ = writeln!(out, "        .{port}({}){comma}", p.name(*id));
        }
        let _ = writeln!(out, "    );");
    }
    let _ = writeln!(out, "endmodule");
    Ok(out)
}
