//! The kinds of stream stage. Each is a module with the ports `clk`, `rst`, `in_valid`,
//! `in_ready`, `in_data` (a join stage: `in<p>_valid`, `in<p>_ready`, `in<p>_data` per operand
//! `p`), `out_valid`, `out_ready`, `out_data` (AXI4-Stream semantics: a beat
//! moves at a rising edge where valid and ready are both high; valid and data are held while
//! ready is low), and its handshake is exactly the [`Behaviour`] the cycle model replays.
//!
//! * **Core stage**: a front ([`super::window`]) decides per accepted beat whether it issues a
//!   result and registers the core's input; a parallel core module computes it with a fixed
//!   latency; an output FIFO holds results. `pending` counts results issued and not yet taken, so
//!   `in_ready = pending < depth` (and, at reuse factor R > 1, R cycles since the last beat)
//!   can never overflow the FIFO, and no `ready` depends combinationally on another stage.
//! * **Pad stage**: streams zero pixels around an image through a 2-entry FIFO.
//! * **Collect stage**: gathers an image's beats into one vector (the stream → parallel
//!   boundary), reordered by a fixed permutation.
//! * **Join stage** (Add, Concat): one input FIFO per operand, sized by the caller so that the
//!   shorter branch of a fork can run ahead; a core stage's pipeline behind them. Its `ready`s
//!   depend only on its own state, so a fork feeding it forms no combinational loop.

use super::super::builder::ModuleBuilder;
use super::super::logic::{bits_for, Logic};
use super::super::netlist::*;
use super::timing::Behaviour;
use super::window::Front;
use crate::diag::Result;
use crate::ir::Padding;

/// The ports every stage has.
pub struct Ports {
    pub clk: NetId,
    pub rst: NetId,
    pub in_valid: NetId,
    pub in_data: NetId,
    pub out_ready: NetId,
}

/// Declares the input ports of a stage with beats of `in_bits`.
pub fn ports(b: &mut ModuleBuilder, in_bits: u32) -> Ports {
    Ports {
        clk: b.input("clk", 1),
        rst: b.input("rst", 1),
        in_valid: b.input("in_valid", 1),
        in_data: b.input("in_data", in_bits),
        out_ready: b.input("out_ready", 1),
    }
}

/// A parallel module the stage instantiates: its name, latency and input/output widths.
pub struct Core {
    pub module: String,
    /// Cycles from `in_valid` to `out_valid` of the core.
    pub latency: u32,
    pub out_bits: u32,
}

/// The nets of an output FIFO: what it is fed and the stage ports it drives.
struct FifoNets {
    push: NetId,
    push_data: NetId,
    pop: NetId,
    out_valid: NetId,
    out_data: NetId,
}

/// An output FIFO instance whose outputs become the stage's `out_valid`/`out_data` ports.
fn output_fifo(b: &mut ModuleBuilder, p: &Ports, f: FifoNets, depth: usize) {
    let FifoNets {
        push,
        push_data,
        pop,
        out_valid,
        out_data,
    } = f;
    let width = b.net(out_data).width;
    b.m.instances.push(Instance {
        module: "rtlgen_fifo".into(),
        name: "u_out_fifo".into(),
        params: vec![
            ("WIDTH".into(), width as u64),
            ("DEPTH".into(), depth as u64),
        ],
        connections: vec![
            ("clk".into(), p.clk),
            ("rst".into(), p.rst),
            ("push".into(), push),
            ("push_data".into(), push_data),
            ("pop".into(), pop),
            ("out_valid".into(), out_valid),
            ("out_data".into(), out_data),
        ],
    });
}

/// The output ports, driven by the output FIFO (or by logic for a Collect stage).
fn out_ports(b: &mut ModuleBuilder, out_bits: u32) -> (NetId, NetId) {
    let v = b.driven("out_valid", 1, 0);
    let d = b.driven("out_data", out_bits, 0);
    (v, d)
}

/// A core stage: `front` turns accepted beats into core inputs, `core` computes one result per
/// completed input, an output FIFO holds the results; at `reuse > 1` a beat is accepted at most
/// every `reuse` cycles. The FIFO depth covers every result in flight at full rate.
pub fn core_stage(
    b: &mut ModuleBuilder,
    p: &Ports,
    front: &Front,
    core: &Core,
    reuse: usize,
) -> Result<Behaviour> {
    let pipe = core_pipeline(b, p, front, core, reuse)?;
    b.output(pipe.in_ready);
    b.output(pipe.out_valid);
    b.output(pipe.out_data);
    Ok(pipe.behaviour)
}

/// A join stage (Add, Concat) over operands of `operand_bits` per beat. Operand `p` has the
/// ports `in<p>_valid`, `in<p>_ready`, `in<p>_data` and enters a FIFO of `fifo_depths[p]`
/// beats, ready while it has room or is being consumed from. When every FIFO holds a beat and
/// the output FIFO has room, their heads (operand 0 in the lowest bits) go to `core` as one
/// input, as in a core stage at reuse factor 1.
pub fn join_stage(
    b: &mut ModuleBuilder,
    operand_bits: &[u32],
    fifo_depths: &[usize],
    core: &Core,
) -> Result<Behaviour> {
    let clk = b.input("clk", 1);
    let rst = b.input("rst", 1);
    let operands: Vec<(NetId, NetId)> = operand_bits
        .iter()
        .enumerate()
        .map(|(p, &bits)| {
            (
                b.input(&format!("in{p}_valid"), 1),
                b.input(&format!("in{p}_data"), bits),
            )
        })
        .collect();
    let out_ready = b.input("out_ready", 1);
    let heads: Vec<(NetId, NetId)> = operand_bits
        .iter()
        .enumerate()
        .map(|(p, &bits)| {
            (
                b.driven(&format!("in{p}_head_valid"), 1, 0),
                b.driven(&format!("in{p}_head"), bits, 0),
            )
        })
        .collect();
    let mut l = Logic { b };
    let valids: Vec<NetId> = heads.iter().map(|h| h.0).collect();
    let all_valid = l.and("heads_valid", &valids);
    let parts = heads
        .iter()
        .rev()
        .map(|&(_, head)| Part::Bits {
            net: head,
            hi: l.b.net(head).width - 1,
            lo: 0,
        })
        .collect();
    let joined = l.wire("heads", operand_bits.iter().sum(), Expr::Concat(parts));
    let p = Ports {
        clk,
        rst,
        in_valid: all_valid,
        in_data: joined,
        out_ready,
    };
    let pipe = core_pipeline(b, &p, &Front::Beat, core, 1)?;
    let mut l = Logic { b };
    let mut readies = vec![];
    for (k, ((&(valid, data), &(head_valid, head)), &depth)) in
        operands.iter().zip(&heads).zip(fifo_depths).enumerate()
    {
        let count = l.reg(&format!("in{k}_count"), bits_for(depth), Some(0));
        let room = l.cmp(&format!("in{k}_room"), CmpOp::Lt, count, depth as i128);
        let ready = l.or(&format!("in{k}_ready"), &[room, pipe.accept]);
        let push = l.and(&format!("in{k}_push"), &[valid, ready]);
        l.count_up_down(count, push, pipe.accept);
        l.b.m.instances.push(Instance {
            module: "rtlgen_fifo".into(),
            name: format!("u_in{k}_fifo"),
            params: vec![
                ("WIDTH".into(), l.b.net(data).width as u64),
                ("DEPTH".into(), depth as u64),
            ],
            connections: vec![
                ("clk".into(), clk),
                ("rst".into(), rst),
                ("push".into(), push),
                ("push_data".into(), data),
                ("pop".into(), pipe.accept),
                ("out_valid".into(), head_valid),
                ("out_data".into(), head),
            ],
        });
        readies.push(ready);
    }
    for ready in readies {
        b.output(ready);
    }
    b.output(pipe.out_valid);
    b.output(pipe.out_data);
    match pipe.behaviour {
        Behaviour::Core { latency, depth, .. } => Ok(Behaviour::Join {
            fifo_depths: fifo_depths.to_vec(),
            latency,
            depth,
        }),
        other => Err(crate::diag::Error::Internal(format!(
            "a core pipeline behaves as {other:?}"
        ))),
    }
}

/// A core pipeline's handshake nets, not yet made ports, and its behaviour.
struct Pipeline {
    behaviour: Behaviour,
    in_ready: NetId,
    /// High in a cycle whose edge accepts an input beat.
    accept: NetId,
    out_valid: NetId,
    out_data: NetId,
}

/// The pipeline of a core stage, fed by `p.in_valid`/`p.in_data` (ports or internal nets).
fn core_pipeline(
    b: &mut ModuleBuilder,
    p: &Ports,
    front: &Front,
    core: &Core,
    reuse: usize,
) -> Result<Pipeline> {
    let (out_valid, out_data) = out_ports(b, core.out_bits);
    // Results reach the FIFO output 2 + core latency cycles after the accepting edge: one for
    // the front's input register, the core's latency, one for the FIFO.
    let latency = core.latency + 2;
    let depth = (latency as usize + 1).div_ceil(reuse) + 1;
    let mut l = Logic { b };
    let pending = l.reg("pending", bits_for(depth), Some(0));
    let room = l.cmp("room", CmpOp::Lt, pending, depth as i128);
    let (in_ready, cooldown) = if reuse > 1 {
        let cool = l.reg("cool", bits_for(reuse - 1), Some(0));
        let cooled = l.cmp("cooled", CmpOp::Eq, cool, 0);
        (l.and("in_ready", &[room, cooled]), Some((cool, cooled)))
    } else {
        (l.wire("in_ready", 1, Expr::Copy(Operand::Net(room))), None)
    };
    let accept = l.and("accept", &[p.in_valid, in_ready]);
    if let Some((cool, cooled)) = cooldown {
        let dec = l.add("cool_dec", cool, -1);
        let idle = l.mux(
            "cool_idle",
            cooled,
            Operand::Const(0),
            Operand::Net(dec),
            cool,
        );
        let next = l.mux(
            "cool_next",
            accept,
            Operand::Const(reuse as i128 - 1),
            Operand::Net(idle),
            cool,
        );
        l.drive(cool, next, None);
    }
    let pop = l.and("pop", &[out_valid, p.out_ready]);
    let built = front.build(&mut l, p, accept)?;
    let issue = l.and("issue", &[accept, built.completes]);
    let issue_r = l.reg("core_in_valid", 1, Some(0));
    l.drive(issue_r, issue, None);
    let core_in = if built.registered {
        built.window
    } else {
        let width = l.b.net(built.window).width;
        let reg = l.b.reg_ctl("core_in_data", width, false, 0);
        l.b.set_reg(reg, built.window, Some(issue), None);
        reg
    };
    l.count_up_down(pending, issue, pop);
    let core_valid = b.driven("core_out_valid", 1, 0);
    let core_data = b.driven("core_out_data", core.out_bits, 0);
    b.m.instances.push(Instance {
        module: core.module.clone(),
        name: "u_core".into(),
        params: vec![],
        connections: vec![
            ("clk".into(), p.clk),
            ("rst".into(), p.rst),
            ("in_valid".into(), issue_r),
            ("in_data".into(), core_in),
            ("out_valid".into(), core_valid),
            ("out_data".into(), core_data),
        ],
    });
    let nets = FifoNets {
        push: core_valid,
        push_data: core_data,
        pop,
        out_valid,
        out_data,
    };
    output_fifo(b, p, nets, depth);
    Ok(Pipeline {
        behaviour: Behaviour::Core {
            completes: front.completes(),
            reuse,
            latency,
            depth,
        },
        in_ready,
        accept,
        out_valid,
        out_data,
    })
}

/// A zero-padding stage over images of `h × w` pixels of `beat_bits`: output pixel `(r, c)` of
/// the padded image is input pixel `(r − top, c − left)` when inside, else zero.
pub fn pad_stage(
    b: &mut ModuleBuilder,
    p: &Ports,
    h: usize,
    w: usize,
    padding: Padding,
) -> Behaviour {
    let beat_bits = b.net(p.in_data).width;
    let (out_valid, out_data) = out_ports(b, beat_bits);
    let (hp, wp) = (
        h + padding.top + padding.bottom,
        w + padding.left + padding.right,
    );
    let depth = 2;
    let mut l = Logic { b };
    let pending = l.reg("pending", bits_for(depth), Some(0));
    let room = l.cmp("room", CmpOp::Lt, pending, depth as i128);
    let pop = l.and("pop", &[out_valid, p.out_ready]);
    let generate = l.forward("emit", 1);
    let (col, col_last) = l.counter("col", wp - 1, generate);
    let row_en = l.and("row_en", &[generate, col_last]);
    let (row, _) = l.counter("row", hp - 1, row_en);
    let rows = inside(&mut l, "row", row, padding.top, h);
    let cols = inside(&mut l, "col", col, padding.left, w);
    let interior = l.and("interior", &[rows, cols]);
    let in_ready = l.and("in_ready", &[interior, room]);
    let border = l.not("border", interior);
    let wanted = l.or("wanted", &[border, p.in_valid]);
    l.define(generate, Expr::And(vec![room, wanted]));
    l.count_up_down(pending, generate, pop);
    let beat = l.mux(
        "beat",
        interior,
        Operand::Net(p.in_data),
        Operand::Const(0),
        p.in_data,
    );
    let nets = FifoNets {
        push: generate,
        push_data: beat,
        pop,
        out_valid,
        out_data,
    };
    output_fifo(b, p, nets, depth);
    b.output(in_ready);
    b.output(out_valid);
    b.output(out_data);
    let interior = (0..hp)
        .flat_map(|r| (0..wp).map(move |c| (r, c)))
        .map(|(r, c)| {
            (padding.top..padding.top + h).contains(&r)
                && (padding.left..padding.left + w).contains(&c)
        })
        .collect();
    Behaviour::Pad { interior, depth }
}

/// `start <= counter < start + len` as a 1-bit net (constant 1 when it always holds).
fn inside(l: &mut Logic, name: &str, counter: NetId, start: usize, len: usize) -> NetId {
    let width = l.b.net(counter).width;
    let max = (1usize << width) - 1;
    let mut terms = vec![];
    if start > 0 {
        terms.push(l.cmp(
            &format!("{name}_after_start"),
            CmpOp::Gt,
            counter,
            start as i128 - 1,
        ));
    }
    if start + len <= max {
        terms.push(l.cmp(
            &format!("{name}_before_end"),
            CmpOp::Lt,
            counter,
            (start + len) as i128,
        ));
    }
    match terms.len() {
        0 => l.wire(&format!("{name}_inside"), 1, Expr::Copy(Operand::Const(1))),
        1 => terms[0],
        _ => l.and(&format!("{name}_inside"), &terms),
    }
}

/// A collect stage: `beats` beats of `beat_bits` become one vector whose element `i` is element
/// `perm[i]` of the beats laid end to end (beat 0 lowest).
pub fn collect_stage(
    b: &mut ModuleBuilder,
    p: &Ports,
    beats: usize,
    element_bits: u32,
    perm: &[usize],
) -> Behaviour {
    let beat_bits = b.net(p.in_data).width;
    let total = beats as u32 * beat_bits;
    let mut l = Logic { b };
    let full = l.reg("full", 1, Some(0));
    let not_full = l.not("not_full", full);
    let in_ready = l.or("in_ready", &[not_full, p.out_ready]);
    let accept = l.and("accept", &[p.in_valid, in_ready]);
    let pop = l.and("pop", &[full, p.out_ready]);
    let buffer = l.b.reg_ctl("buffer", total, false, 0);
    let shifted = if beats > 1 {
        l.wire(
            "buffer_next",
            total,
            Expr::Concat(vec![
                Part::Bits {
                    net: p.in_data,
                    hi: beat_bits - 1,
                    lo: 0,
                },
                Part::Bits {
                    net: buffer,
                    hi: total - 1,
                    lo: beat_bits,
                },
            ]),
        )
    } else {
        p.in_data
    };
    l.b.set_reg(buffer, shifted, Some(accept), None);
    let full_next = if beats > 1 {
        let (_, last) = l.counter("beat", beats - 1, accept);
        let closes = l.and("closes", &[accept, last]);
        let not_pop = l.not("not_pop", pop);
        let kept = l.and("kept", &[full, not_pop]);
        l.or("full_next", &[closes, kept])
    } else {
        let not_pop = l.not("not_pop", pop);
        let kept = l.and("kept", &[full, not_pop]);
        l.or("full_next", &[accept, kept])
    };
    l.drive(full, full_next, None);
    let out_data = l.wire(
        "out_data",
        perm.len() as u32 * element_bits,
        Expr::Concat(permuted(buffer, perm, element_bits)),
    );
    let out_valid = l.wire("out_valid", 1, Expr::Copy(Operand::Net(full)));
    b.output(in_ready);
    b.output(out_valid);
    b.output(out_data);
    Behaviour::Collect { beats }
}

/// Concatenation parts (most significant first) selecting element `perm[i]` of `net` as element
/// `i`, merging runs of consecutive elements.
fn permuted(net: NetId, perm: &[usize], w: u32) -> Vec<Part> {
    let mut runs: Vec<(usize, usize)> = vec![]; // (first source element, length), from element 0
    for &src in perm {
        match runs.last_mut() {
            Some((first, len)) if *first + *len == src => *len += 1,
            _ => runs.push((src, 1)),
        }
    }
    runs.iter()
        .rev()
        .map(|&(first, len)| Part::Bits {
            net,
            hi: ((first + len) as u32) * w - 1,
            lo: first as u32 * w,
        })
        .collect()
}
