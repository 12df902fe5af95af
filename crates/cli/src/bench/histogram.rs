//! A fixed-size log-linear latency histogram (the HdrHistogram idea, reduced): values below 128
//! are counted exactly; above, each power of two is split into 128 linear sub-buckets, so a
//! reported percentile is within 1/128 (< 0.8 %) of the true value. Memory is constant (about
//! 58 KB) whatever the run length, and histograms of several workers merge by addition.

/// Sub-buckets per power of two (and the exactly counted range below it).
const SUB: u64 = 128;
const SUB_BITS: u32 = 7;
const BUCKETS: usize = (SUB as usize) * (64 - SUB_BITS as usize + 1);

/// Latencies in nanoseconds.
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: vec![0; BUCKETS], total: 0, sum: 0, max: 0 }
    }
}

fn index(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = exp - SUB_BITS;
    let sub = (v >> shift) - SUB; // 0..SUB
    (SUB + u64::from(shift) * SUB + sub) as usize
}

/// The midpoint of bucket `i`.
fn value(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let shift = (i - SUB) / SUB;
    let sub = (i - SUB) % SUB;
    let low = (SUB + sub) << shift;
    low + ((1u64 << shift) >> 1)
}

impl Histogram {
    /// Counts one value.
    pub(crate) fn record(&mut self, nanos: u64) {
        self.counts[index(nanos)] += 1;
        self.total += 1;
        self.sum += u128::from(nanos);
        self.max = self.max.max(nanos);
    }

    /// Adds `other`'s counts to this one.
    pub(crate) fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// Number of values.
    #[cfg(test)]
    pub(crate) fn count(&self) -> u64 {
        self.total
    }

    /// Largest value (exact).
    pub(crate) fn max(&self) -> u64 {
        self.max
    }

    /// Mean (exact).
    pub(crate) fn mean(&self) -> u64 {
        if self.total == 0 { 0 } else { (self.sum / u128::from(self.total)) as u64 }
    }

    /// The value at quantile `q` (0 < q <= 1): a bucket midpoint, never above the exact maximum,
    /// which the top rank returns exactly; 0 when empty.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        if rank == self.total {
            return self.max;
        }
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..2_000_000u64).step_by(7).chain([u64::MAX / 2, u64::MAX]) {
            let i = index(v);
            assert!(i < BUCKETS && i >= last, "{v}");
            last = i;
            let mid = value(i) as f64;
            assert!((mid - v as f64).abs() <= (v as f64) / SUB as f64 + 1.0, "{v} -> {mid}");
        }
    }

    #[test]
    fn quantiles_of_a_uniform_run() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let near = |got: u64, want: u64| (got as f64 - want as f64).abs() <= want as f64 / 100.0;
        assert!(near(h.quantile(0.5), 5_000_000), "{}", h.quantile(0.5));
        assert!(near(h.quantile(0.99), 9_900_000), "{}", h.quantile(0.99));
        assert_eq!(h.max(), 10_000_000);
        assert_eq!(h.quantile(1.0), 10_000_000);
        let mut other = Histogram::default();
        other.record(20_000_000);
        h.merge(&other);
        assert_eq!((h.count(), h.max()), (10_001, 20_000_000));
        assert_eq!(Histogram::default().quantile(0.5), 0);
    }
}
