//! Packing of element vectors into flat buses: element `i` of width W at bits `[i·W + W − 1 : i·W]`.

/// Packs mantissas (two's complement, low `width` bits of each) into 32-bit words, least
/// significant word first.
pub fn pack(values: &[i128], width: u32) -> Vec<u32> {
    let bits = values.len() * width as usize;
    let mut words = vec![0u32; bits.div_ceil(32).max(1)];
    for (i, &v) in values.iter().enumerate() {
        for b in 0..width as usize {
            if (v >> b.min(127)) & 1 == 1 {
                let pos = i * width as usize + b;
                words[pos / 32] |= 1 << (pos % 32);
            }
        }
    }
    words
}

/// Unpacks `n` elements of `width` bits, sign-extending when `signed`.
pub fn unpack(words: &[u32], n: usize, width: u32, signed: bool) -> Vec<i128> {
    (0..n)
        .map(|i| {
            let mut v: u128 = 0;
            for b in 0..width as usize {
                let pos = i * width as usize + b;
                if (words[pos / 32] >> (pos % 32)) & 1 == 1 {
                    v |= 1 << b;
                }
            }
            if signed && width < 128 && (v >> (width - 1)) & 1 == 1 {
                (v as i128) - (1i128 << width)
            } else {
                v as i128
            }
        })
        .collect()
}

/// The bus as hex digits, most significant first (for `$readmemh`).
pub fn hex(words: &[u32], bits: usize) -> String {
    let digits = bits.div_ceil(4).max(1);
    (0..digits)
        .rev()
        .map(|d| {
            let nibble = (words[d * 4 / 32] >> ((d * 4) % 32)) & 0xf;
            char::from_digit(nibble, 16).expect("nibble")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let v = [-3i128, 5, -8, 7, 0];
        let words = pack(&v, 4);
        assert_eq!(unpack(&words, 5, 4, true), v);
        assert_eq!(hex(&words, 20), "0785d");
    }
}
