//! Control logic on a [`ModuleBuilder`]: counters, comparisons and flags whose timing the caller
//! states explicitly (operands are used as they are, never retimed).

use super::builder::ModuleBuilder;
use super::netlist::*;

/// Bits holding every value in `0..=max`.
pub fn bits_for(max: usize) -> u32 {
    (usize::BITS - max.leading_zeros()).max(1)
}

/// Builds control logic in one module; every net is combinational unless made by
/// [`Logic::reg`].
pub struct Logic<'a> {
    pub b: &'a mut ModuleBuilder,
}

impl Logic<'_> {
    /// A register with a synchronous reset value (control state); its input is set later with
    /// [`Logic::drive`].
    pub fn reg(&mut self, name: &str, width: u32, reset: Option<i128>) -> NetId {
        let id = self.b.reg_ctl(name, width, false, 0);
        if let Some(r) = reset {
            self.b.set_reg(id, id, None, Some(r));
        }
        id
    }

    /// A signed register, as [`Logic::reg`].
    pub fn reg_signed(&mut self, name: &str, width: u32, reset: Option<i128>) -> NetId {
        let id = self.b.reg_ctl(name, width, true, 0);
        if let Some(r) = reset {
            self.b.set_reg(id, id, None, Some(r));
        }
        id
    }

    /// Sets what a register loads and when (`en`), keeping its reset value.
    pub fn drive(&mut self, reg: NetId, d: NetId, en: Option<NetId>) {
        let reset = match &self.b.net(reg).def {
            Def::RegCtl { reset, .. } => *reset,
            _ => None,
        };
        self.b.set_reg(reg, d, en, reset);
    }

    pub fn wire(&mut self, name: &str, width: u32, expr: Expr) -> NetId {
        self.b.wire_raw(name, width, false, expr, 0)
    }

    /// A combinational net defined later by [`Logic::define`] (for logic that feeds back into
    /// the registers it is computed from).
    pub fn forward(&mut self, name: &str, width: u32) -> NetId {
        self.wire(name, width, Expr::Copy(Operand::Const(0)))
    }

    /// Defines a [`Logic::forward`] net.
    pub fn define(&mut self, net: NetId, expr: Expr) {
        self.b.m.nets[net.0].def = Def::Wire(expr);
    }

    pub fn and(&mut self, name: &str, nets: &[NetId]) -> NetId {
        self.wire(name, 1, Expr::And(nets.to_vec()))
    }

    pub fn or(&mut self, name: &str, nets: &[NetId]) -> NetId {
        self.wire(name, 1, Expr::Or(nets.to_vec()))
    }

    pub fn not(&mut self, name: &str, net: NetId) -> NetId {
        self.wire(name, 1, Expr::Not(net))
    }

    pub fn cmp(&mut self, name: &str, op: CmpOp, net: NetId, value: i128) -> NetId {
        self.wire(name, 1, Expr::Cmp(op, net, value))
    }

    /// `sel ? a : b` at the width (and signedness) of `a`.
    pub fn mux(&mut self, name: &str, sel: NetId, a: Operand, b: Operand, like: NetId) -> NetId {
        let (width, signed) = (self.b.net(like).width, self.b.net(like).signed);
        self.b
            .wire_raw(name, width, signed, Expr::Mux(sel, a, b), 0)
    }

    /// `net + k` modulo 2^width of `net`.
    pub fn add(&mut self, name: &str, net: NetId, k: i128) -> NetId {
        let (width, signed) = (self.b.net(net).width, self.b.net(net).signed);
        self.b.wire_raw(
            name,
            width,
            signed,
            Expr::Add(Operand::Net(net), Operand::Const(k)),
            0,
        )
    }

    /// Bit `bit` of `net`.
    pub fn bit(&mut self, name: &str, net: NetId, bit: u32) -> NetId {
        self.wire(
            name,
            1,
            Expr::Concat(vec![Part::Bits {
                net,
                hi: bit,
                lo: bit,
            }]),
        )
    }

    /// A counter `0 … max` advancing when `en`, wrapping to 0 after `max`; returns the register
    /// and its `== max` flag.
    pub fn counter(&mut self, name: &str, max: usize, en: NetId) -> (NetId, NetId) {
        let width = bits_for(max);
        let reg = self.reg(name, width, Some(0));
        let last = self.cmp(&format!("{name}_last"), CmpOp::Eq, reg, max as i128);
        let inc = self.add(&format!("{name}_inc"), reg, 1);
        let next = self.mux(
            &format!("{name}_next"),
            last,
            Operand::Const(0),
            Operand::Net(inc),
            reg,
        );
        self.drive(reg, next, Some(en));
        (reg, last)
    }

    /// Drives `reg` as an occupancy count: `+1` on `up`, `−1` on `down`, both at once
    /// unchanged.
    pub fn count_up_down(&mut self, reg: NetId, up: NetId, down: NetId) {
        let name = self.b.net(reg).name.clone();
        let inc = self.add(&format!("{name}_inc"), reg, 1);
        let dec = self.add(&format!("{name}_dec"), reg, -1);
        let if_up = self.mux(
            &format!("{name}_if_up"),
            down,
            Operand::Net(reg),
            Operand::Net(inc),
            reg,
        );
        let if_not_up = self.mux(
            &format!("{name}_if_not_up"),
            down,
            Operand::Net(dec),
            Operand::Net(reg),
            reg,
        );
        let next = self.mux(
            &format!("{name}_next"),
            up,
            Operand::Net(if_up),
            Operand::Net(if_not_up),
            reg,
        );
        self.drive(reg, next, None);
    }
}
