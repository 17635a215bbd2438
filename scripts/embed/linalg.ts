// Dense and sparse linear algebra for training, in plain Float64 typed arrays: a CSR matrix
// times a dense block (and its transpose), Gram-Schmidt orthonormalisation, Jacobi
// eigendecomposition and the randomised truncated SVD built from them (Halko, Martinsson &
// Tropp 2011). Deterministic: fixed loop orders and a seeded PRNG. Main thread only.

/** Square sparse matrix in CSR form; column order inside a row is the build order. */
export interface Csr {
  readonly n: number;
  readonly rowPtr: Int32Array;
  readonly col: Int32Array;
  readonly val: Float64Array;
}

/** Dense n×k matrix, row-major. */
export interface Dense {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function dense(rows: number, cols: number): Dense {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** mulberry32: tiny, seedable, and the same sequence on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Y = M X. */
export function spmm(m: Csr, x: Dense): Dense {
  const k = x.cols;
  const y = dense(m.n, k);
  const yd = y.data;
  const xd = x.data;
  for (let i = 0; i < m.n; i++) {
    const yo = i * k;
    for (let p = m.rowPtr[i] ?? 0, end = m.rowPtr[i + 1] ?? 0; p < end; p++) {
      const v = m.val[p] ?? 0;
      const xo = (m.col[p] ?? 0) * k;
      for (let c = 0; c < k; c++) yd[yo + c] = (yd[yo + c] ?? 0) + v * (xd[xo + c] ?? 0);
    }
  }
  return y;
}

/** Z = Mᵀ X. */
export function spmmT(m: Csr, x: Dense): Dense {
  const k = x.cols;
  const z = dense(m.n, k);
  const zd = z.data;
  const xd = x.data;
  for (let i = 0; i < m.n; i++) {
    const xo = i * k;
    for (let p = m.rowPtr[i] ?? 0, end = m.rowPtr[i + 1] ?? 0; p < end; p++) {
      const v = m.val[p] ?? 0;
      const zo = (m.col[p] ?? 0) * k;
      for (let c = 0; c < k; c++) zd[zo + c] = (zd[zo + c] ?? 0) + v * (xd[xo + c] ?? 0);
    }
  }
  return z;
}

/**
 * Orthonormalises the columns of `a` in place (modified Gram-Schmidt, run twice for
 * stability). Works on a column-major copy so each column is contiguous.
 */
export function orthonormalise(a: Dense): void {
  const { rows, cols, data } = a;
  const colMajor = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < cols; c++) colMajor[c * rows + i] = data[i * cols + c] ?? 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < cols; c++) {
      const co = c * rows;
      for (let prev = 0; prev < c; prev++) {
        const po = prev * rows;
        let d = 0;
        for (let i = 0; i < rows; i++) d += (colMajor[co + i] ?? 0) * (colMajor[po + i] ?? 0);
        for (let i = 0; i < rows; i++)
          colMajor[co + i] = (colMajor[co + i] ?? 0) - d * (colMajor[po + i] ?? 0);
      }
      let norm = 0;
      for (let i = 0; i < rows; i++) norm += (colMajor[co + i] ?? 0) ** 2;
      norm = Math.sqrt(norm);
      // A dependent column (rank-deficient input) becomes zero rather than noise.
      const inv = norm > 1e-12 ? 1 / norm : 0;
      for (let i = 0; i < rows; i++) colMajor[co + i] = (colMajor[co + i] ?? 0) * inv;
    }
  }
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < cols; c++) data[i * cols + c] = colMajor[c * rows + i] ?? 0;
}

/** AᵀB for row-major A (n×a) and B (n×b): an a×b row-major result. */
export function gram(a: Dense, b: Dense): Dense {
  const out = dense(a.cols, b.cols);
  const od = out.data;
  for (let i = 0; i < a.rows; i++) {
    const ao = i * a.cols;
    const bo = i * b.cols;
    for (let r = 0; r < a.cols; r++) {
      const v = a.data[ao + r] ?? 0;
      if (v === 0) continue;
      const oo = r * b.cols;
      for (let c = 0; c < b.cols; c++) od[oo + c] = (od[oo + c] ?? 0) + v * (b.data[bo + c] ?? 0);
    }
  }
  return out;
}

/**
 * Eigen-decomposition of a symmetric k×k matrix by cyclic Jacobi rotations. Returns
 * eigenvalues descending and the matching eigenvectors as columns of a row-major k×k.
 */
export function symmetricEigen(s: Dense): { values: Float64Array; vectors: Dense } {
  const k = s.rows;
  const a = Float64Array.from(s.data);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += (a[p * k + q] ?? 0) ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q] ?? 0;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * k + p] ?? 0;
        const aqq = a[q * k + q] ?? 0;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p] ?? 0;
          const arq = a[r * k + q] ?? 0;
          a[r * k + p] = c * arp - sn * arq;
          a[r * k + q] = sn * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r] ?? 0;
          const aqr = a[q * k + r] ?? 0;
          a[p * k + r] = c * apr - sn * aqr;
          a[q * k + r] = sn * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p] ?? 0;
          const vrq = v[r * k + q] ?? 0;
          v[r * k + p] = c * vrp - sn * vrq;
          v[r * k + q] = sn * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort(
    (x, y) => (a[y * k + y] ?? 0) - (a[x * k + x] ?? 0) || x - y,
  );
  const values = new Float64Array(k);
  const vectors = dense(k, k);
  order.forEach((src, dst) => {
    values[dst] = a[src * k + src] ?? 0;
    for (let r = 0; r < k; r++) vectors.data[r * k + dst] = v[r * k + src] ?? 0;
  });
  return { values, vectors };
}

/** Y = A W for row-major A (n×k) and W (k×m). */
export function multiply(a: Dense, w: Dense): Dense {
  const out = dense(a.rows, w.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let r = 0; r < a.cols; r++) {
      const v = a.data[i * a.cols + r] ?? 0;
      if (v === 0) continue;
      for (let c = 0; c < w.cols; c++) {
        out.data[i * w.cols + c] = (out.data[i * w.cols + c] ?? 0) + v * (w.data[r * w.cols + c] ?? 0);
      }
    }
  }
  return out;
}

/**
 * Top-`rank` singular triplets of M by the randomised range finder with `powerIters` power
 * iterations: returns U (n×rank), the singular values, and V (n×rank) (right vectors).
 */
export function randomizedSvd(
  m: Csr,
  rank: number,
  opts: { oversample: number; powerIters: number; seed: number; log?: (msg: string) => void },
): { u: Dense; sigma: Float64Array; v: Dense } {
  const k = Math.min(m.n, rank + opts.oversample);
  const rand = prng(opts.seed);
  // Uniform entries instead of Gaussian: no transcendental functions, same range quality.
  const omega = dense(m.n, k);
  for (let i = 0; i < omega.data.length; i++) omega.data[i] = rand() * 2 - 1;
  let q = spmm(m, omega);
  orthonormalise(q);
  for (let it = 0; it < opts.powerIters; it++) {
    const z = spmmT(m, q);
    orthonormalise(z);
    q = spmm(m, z);
    orthonormalise(q);
    opts.log?.(`svd: power iteration ${it + 1}/${opts.powerIters}`);
  }
  // B = Qᵀ M; B Bᵀ = (Mᵀ Q)ᵀ (Mᵀ Q) is k×k: its eigenvectors rotate Q onto U.
  const z = spmmT(m, q);
  const { values, vectors } = symmetricEigen(gram(z, z));
  const r = Math.min(rank, k);
  const w = dense(k, r);
  for (let i = 0; i < k; i++) for (let c = 0; c < r; c++) w.data[i * r + c] = vectors.data[i * k + c] ?? 0;
  const u = multiply(q, w);
  const sigma = new Float64Array(r);
  for (let c = 0; c < r; c++) sigma[c] = Math.sqrt(Math.max(0, values[c] ?? 0));
  // V = Mᵀ U Σ⁻¹ = Z W Σ⁻¹.
  const v = multiply(z, w);
  for (let i = 0; i < v.rows; i++) {
    for (let c = 0; c < r; c++) {
      const s = sigma[c] ?? 0;
      v.data[i * r + c] = s > 0 ? (v.data[i * r + c] ?? 0) / s : 0;
    }
  }
  return { u, sigma, v };
}
