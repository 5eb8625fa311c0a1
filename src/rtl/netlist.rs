//! A small netlist: what lowering decides, with no text in it. [`super::verilog`] prints it.
//!
//! Every net has a width and signedness; every expression's operands already have the widths the
//! expression needs (lowering inserts explicit extensions), so the printed Verilog never relies on
//! implicit extension and lints clean.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NetId(pub usize);

/// An operand: a net, or a constant at the width and signedness of the expression's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operand {
    Net(NetId),
    Const(i128),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Gt,
    Eq,
}

/// A piece of a concatenation, most significant first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    /// Bits `hi..=lo` of a net.
    Bits { net: NetId, hi: u32, lo: u32 },
    /// Bit `bit` of a net repeated `count` times (sign extension).
    Repeat { net: NetId, bit: u32, count: u32 },
    /// `count` constant bits.
    Fill { ones: bool, count: u32 },
    /// The low `width` bits of a constant.
    Const { value: i128, width: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// Same width as the target.
    Copy(Operand),
    Concat(Vec<Part>),
    /// Modulo 2^W at the target's width; operands have the target's width.
    Add(Operand, Operand),
    Sub(Operand, Operand),
    /// Modulo 2^W; the net has the target's width.
    /// `a · b` modulo 2^W; both nets have the target's width and signedness.
    Mul(NetId, NetId),
    MulConst(NetId, i128),
    /// 1-bit result; the constant has the net's width and signedness.
    Cmp(CmpOp, NetId, i128),
    /// `sel ? a : b`; `sel` is 1 bit wide.
    Mux(NetId, Operand, Operand),
    /// 1-bit logic over 1-bit nets.
    And(Vec<NetId>),
    Or(Vec<NetId>),
    Not(NetId),
    /// OR of bits `hi..=lo` of a net.
    ReduceOr {
        net: NetId,
        hi: u32,
        lo: u32,
    },
    /// `sel == k ? value_k : … : default` over the listed `(k, value)` arms, printed as a `case`.
    Case {
        sel: NetId,
        arms: Vec<(u64, Operand)>,
        default: Operand,
    },
}

impl Expr {
    /// The same expression with every net it reads replaced by `f(net)`; the one traversal that
    /// retiming and renumbering share.
    pub fn try_map_nets<E>(self, f: &mut dyn FnMut(NetId) -> Result<NetId, E>) -> Result<Expr, E> {
        fn operand<E>(
            o: Operand,
            f: &mut dyn FnMut(NetId) -> Result<NetId, E>,
        ) -> Result<Operand, E> {
            Ok(match o {
                Operand::Net(n) => Operand::Net(f(n)?),
                c => c,
            })
        }
        Ok(match self {
            Expr::Copy(a) => Expr::Copy(operand(a, f)?),
            Expr::Concat(parts) => Expr::Concat(
                parts
                    .into_iter()
                    .map(|p| {
                        Ok(match p {
                            Part::Bits { net, hi, lo } => Part::Bits {
                                net: f(net)?,
                                hi,
                                lo,
                            },
                            Part::Repeat { net, bit, count } => Part::Repeat {
                                net: f(net)?,
                                bit,
                                count,
                            },
                            other => other,
                        })
                    })
                    .collect::<Result<_, E>>()?,
            ),
            Expr::Add(a, b) => Expr::Add(operand(a, f)?, operand(b, f)?),
            Expr::Sub(a, b) => Expr::Sub(operand(a, f)?, operand(b, f)?),
            Expr::Mul(a, b) => Expr::Mul(f(a)?, f(b)?),
            Expr::MulConst(a, c) => Expr::MulConst(f(a)?, c),
            Expr::Cmp(op, a, c) => Expr::Cmp(op, f(a)?, c),
            Expr::Mux(c, a, b) => Expr::Mux(f(c)?, operand(a, f)?, operand(b, f)?),
            Expr::And(v) => Expr::And(v.into_iter().map(&mut *f).collect::<Result<_, E>>()?),
            Expr::Or(v) => Expr::Or(v.into_iter().map(&mut *f).collect::<Result<_, E>>()?),
            Expr::Not(a) => Expr::Not(f(a)?),
            Expr::ReduceOr { net, hi, lo } => Expr::ReduceOr {
                net: f(net)?,
                hi,
                lo,
            },
            Expr::Case { sel, arms, default } => Expr::Case {
                sel: f(sel)?,
                arms: arms
                    .into_iter()
                    .map(|(k, o)| Ok((k, operand(o, f)?)))
                    .collect::<Result<_, E>>()?,
                default: operand(default, f)?,
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Def {
    /// A module input port.
    Input,
    /// Combinational.
    Wire(Expr),
    /// A register loaded from the net every rising clock edge (no reset: data registers).
    Reg(NetId),
    /// A register with an optional load enable and an optional synchronous reset value (reset by
    /// the module's `rst` input): control state and values held across cycles.
    RegCtl {
        d: NetId,
        en: Option<NetId>,
        reset: Option<i128>,
    },
    /// A read-only memory read synchronously: loads `words[addr]` every rising edge
    /// (out-of-range addresses read 0).
    Rom { addr: NetId, words: Vec<i128> },
    /// Driven by an output of an instance.
    Instance,
}

#[derive(Debug, Clone)]
pub struct Net {
    pub name: String,
    pub width: u32,
    pub signed: bool,
    pub def: Def,
    /// A comment printed beside the declaration.
    pub note: Option<String>,
    /// Synthesis attributes printed before the declaration, e.g. `("use_dsp", "yes")`.
    pub attrs: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub module: String,
    pub name: String,
    pub params: Vec<(String, u64)>,
    /// `(port, net)` in the module's port order.
    pub connections: Vec<(String, NetId)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Input,
    Output,
}

#[derive(Debug, Clone, Default)]
pub struct Module {
    pub name: String,
    /// Comment lines printed above the module.
    pub comment: Vec<String>,
    pub ports: Vec<(NetId, Dir)>,
    pub nets: Vec<Net>,
    pub instances: Vec<Instance>,
}

impl Module {
    pub fn net(&self, id: NetId) -> &Net {
        &self.nets[id.0]
    }
}
