#!/usr/bin/env python
"""Time `inadequate_nb.scores.logme` against a straightforward per-class NumPy reference and against its floor (one Gram
matrix and one eigendecomposition of it), and check that ours and the reference agree. Ours can run under that
floor: it reduces the Gram matrix to tridiagonal form and rotates only the label vectors, never forming the
eigenvectors (`scores._eig_coordinates`).

The reference decomposes the features the way the widely used LogME implementation does (an SVD of F^T F and
U = F V / sigma when N > D, a thin SVD of F otherwise) and then runs the fixed point class by class in a Python
loop, but, unlike that implementation, it counts all D eigenvalues in the log-determinant, so it is correct and
comparable. Both stop a class when its log evidence per sample changes by less than `tol`.

Features are float32, as a network gives them: ours then computes their Gram matrix in float32 (everything after
it in float64), and is timed on the same features cast to float64 too (a float64 Gram matrix, exact to rounding).

A second case with N < D checks ours against the brute-force evidence of the definition (the D x D matrix
A = alpha I + beta F^T F, log det by slogdet) at the alpha, beta ours converged to, and against the reference.

Usage: .venv/bin/python benchmarks/bench_logme.py [--n 10000 --d 2048 --classes 100 --small-n 1000 ...]
"""
import argparse, math, os, time
import numpy as np
from inadequate_nb.scores import logme_fit

def make_features(n, d, c, seed, signal=0.3):
    "Random float32 features with a weak class signal, and balanced labels."
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    means = rng.standard_normal((c, d), dtype=np.float32)
    return rng.standard_normal((n, d), dtype=np.float32) + signal * means[y], y

def reference_decompose(F):
    "Squared singular values (r,) and left singular vectors (N, r) of F, as the popular implementation gets them."
    N, D = F.shape
    if N > D:
        _, s, vh = np.linalg.svd(F.T @ F)
        keep = s > 1e-10 * s.max()
        s, vh = s[keep], vh[keep]
        u = F @ vh.T / np.sqrt(s)
    else:
        u, sig, _ = np.linalg.svd(F, full_matrices=False)
        s = sig**2
    return s, u

def reference_class_evidence(s, u, y, D, tol, max_iter):
    "Per-class fixed point with scalars; log det over all D eigenvalues (D - r of them zero)."
    N, r = len(y), len(s)
    z2 = (u.T @ y)**2
    out = max(float(y @ y - z2.sum()), 0.0)
    alpha, beta, prev = 1.0, 1.0, -math.inf
    for _ in range(max_iter):
        den = alpha + beta * s
        gamma = float((beta * s / den).sum())
        m2 = float((beta**2 * s * z2 / den**2).sum())
        res2 = out + float((alpha**2 * z2 / den**2).sum())
        logdet = float(np.log(den).sum()) + (D - r) * math.log(alpha)
        ev = (D/2*math.log(alpha) + N/2*math.log(beta) - logdet/2 - beta/2*res2 - alpha/2*m2 - N/2*math.log(2*math.pi))
        if abs(ev - prev) <= tol * N: break
        prev, alpha, beta = ev, gamma / m2, (N - gamma) / res2
    return ev, alpha, beta

def reference_logme(F, y, classes, tol, max_iter):
    "Per-class evidences of the given classes, and the time spent decomposing and looping."
    F = F.astype(np.float64); N, D = F.shape
    t0 = time.perf_counter(); s, u = reference_decompose(F); t1 = time.perf_counter()
    evs = np.array([reference_class_evidence(s, u, (y == c).astype(np.float64), D, tol, max_iter)[0] for c in classes])
    return evs, t1 - t0, time.perf_counter() - t1

def brute_evidence(F, y, alpha, beta):
    "Log evidence from the definition with the D x D matrix A = alpha I + beta F^T F."
    N, D = F.shape
    A = alpha * np.eye(D) + beta * (F.T @ F)
    m = beta * np.linalg.solve(A, F.T @ y)
    sign, logdet = np.linalg.slogdet(A)
    assert sign > 0
    return (D/2*math.log(alpha) + N/2*math.log(beta) - logdet/2 - beta/2*float(((F @ m - y)**2).sum())
            - alpha/2*float(m @ m) - N/2*math.log(2*math.pi))

def timed(f, repeats):
    "Best wall time of `repeats` calls, and the last result."
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter(); out = f(); best = min(best, time.perf_counter() - t0)
    return best, out

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n', type=int, default=10_000, help='samples of the big case (N > D)')
    p.add_argument('--d', type=int, default=2048, help='feature dimension')
    p.add_argument('--classes', type=int, default=100, help='number of classes')
    p.add_argument('--ref-classes', type=int, default=None, help='run the reference loop on only this many classes and extrapolate its loop time linearly (default: all)')
    p.add_argument('--small-n', type=int, default=1000, help='samples of the N < D case')
    p.add_argument('--brute-classes', type=int, default=3, help='classes checked against the D x D brute force in the N < D case')
    p.add_argument('--repeats', type=int, default=1, help='time ours, the reference and the floor each as the best of this many runs')
    p.add_argument('--tol', type=float, default=1e-10, help='convergence tolerance on the log evidence per sample (both implementations)')
    p.add_argument('--max-iter', type=int, default=10_000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--blas-threads', type=int, default=None, help='limit BLAS/LAPACK threads (default: the library default, one per core); '
                   '1 avoids the slowdown of spinning BLAS threads when other processes share the cores')
    a = p.parse_args()
    if a.blas_threads is not None:
        from threadpoolctl import threadpool_limits
        threadpool_limits(a.blas_threads)
    C = a.classes; K = a.ref_classes or C
    ref_classes = range(min(K, C))

    print(f'{os.cpu_count()} CPUs, BLAS threads {a.blas_threads or "default"}, load average {os.getloadavg()[0]:.1f} at start '
          '(timings are wall clock; other load inflates them)')
    print(f'== big case: N={a.n}, D={a.d}, C={C}, float32 features (computed in float64) ==')
    F, y = make_features(a.n, a.d, C, a.seed)
    t_ours, fit = timed(lambda: logme_fit(F, y, a.tol, a.max_iter), a.repeats)
    print(f'ours      (float32 Gram, tridiagonal, no eigenvectors formed): {t_ours:7.2f} s  '
          f'[{fit.n_iter} iterations, score {fit.evidence.mean() / a.n:.10f}]')
    F64 = F.astype(np.float64)
    t_exact, fit64 = timed(lambda: logme_fit(F64, y, a.tol, a.max_iter), a.repeats)
    print(f'ours      (the same features as float64: float64 Gram):      {t_exact:7.2f} s  '
          f'[{fit64.n_iter} iterations, score {fit64.evidence.mean() / a.n:.10f}]')
    del F64
    evs, t_dec, t_loop = min((reference_logme(F, y, ref_classes, a.tol, a.max_iter) for _ in range(a.repeats)), key=lambda r: r[1] + r[2])
    t_loop_all = t_loop * C / len(ref_classes)
    note = '' if len(ref_classes) == C else f'  (loop timed on {len(ref_classes)} classes, extrapolated linearly to {C})'
    print(f'reference (SVD of F^T F, per-class loop):                  {t_dec + t_loop_all:7.2f} s  '
          f'[decomposition {t_dec:.2f} s, loop {t_loop_all:.2f} s]{note}')
    rel = np.abs(evs - fit.evidence[:len(evs)]) / np.abs(evs)
    rel64 = np.abs(evs - fit64.evidence[:len(evs)]) / np.abs(evs)
    print(f'ratio reference / ours: {(t_dec + t_loop_all) / t_ours:.1f}x (float64 Gram: {(t_dec + t_loop_all) / t_exact:.1f}x)')
    def floor():  # the float64 Gram matrix of the features and its eigendecomposition
        F64 = F.astype(np.float64); return np.linalg.eigh(F64.T @ F64)
    t_floor, _ = timed(floor, a.repeats)
    print(f'floor (float64 Gram F^T F and one eigh of it):           {t_floor:7.2f} s')
    print(f'ratio ours / floor: {t_ours / t_floor:.2f}x (float64 Gram: {t_exact / t_floor:.2f}x)')
    print(f'agreement with the reference on {len(evs)} classes, max relative difference of the per-class evidence: '
          f'{rel.max():.2e} with the float32 Gram, {rel64.max():.2e} with the float64 one')
    ok_big = rel.max() < 1e-6 and rel64.max() < 1e-8
    del F

    print(f'\n== small case: N={a.small_n} < D={a.d}, C={C} ==')
    F, y = make_features(a.small_n, a.d, C, a.seed + 1)
    F64 = F.astype(np.float64)  # the definition is checked on the exact (float64) path; the float32 one against it below
    t_small, fit = timed(lambda: logme_fit(F64, y, a.tol, a.max_iter), a.repeats)
    score = fit.evidence.mean() / a.small_n
    print(f'ours (float64 features): {t_small:.2f} s  [{fit.n_iter} iterations, score {score:.10f}]')
    t32, fit32 = timed(lambda: logme_fit(F, y, a.tol, a.max_iter), a.repeats)
    rel_32 = np.abs(fit32.evidence - fit.evidence) / np.abs(fit.evidence)
    print(f'ours (float32 features, float32 Gram): {t32:.2f} s; max relative difference of the per-class evidence {rel_32.max():.2e}')
    t0 = time.perf_counter()
    brute = np.array([brute_evidence(F64, (y == c).astype(np.float64), fit.alpha[c], fit.beta[c]) for c in range(a.brute_classes)])
    rel_b = np.abs(brute - fit.evidence[:a.brute_classes]) / np.abs(brute)
    print(f'vs brute force (D x D slogdet at our alpha, beta) on {a.brute_classes} classes: max relative difference {rel_b.max():.2e}  '
          f'[{time.perf_counter() - t0:.1f} s]')
    evs, t_dec, t_loop = reference_logme(F, y, range(C), a.tol, a.max_iter)
    rel_r = np.abs(evs - fit.evidence) / np.abs(evs)
    print(f'vs reference on all {C} classes: max relative difference {rel_r.max():.2e}  [reference {t_dec + t_loop:.2f} s]')
    rank = np.linalg.matrix_rank(F64)
    buggy = (fit.evidence + (a.d - rank) / 2 * np.log(fit.alpha)).mean() / a.small_n
    print(f'score if the {a.d - rank} zero eigenvalues were dropped (the widely used bug): {buggy:.4f} instead of {score:.4f}')
    ok_small = rel_b.max() < 1e-6 and rel_r.max() < 1e-8 and rel_32.max() < 1e-6
    print(f'load average {os.getloadavg()[0]:.1f} at the end')
    print('\nOK' if ok_big and ok_small else '\nMISMATCH')
    return 0 if ok_big and ok_small else 1

if __name__ == '__main__': raise SystemExit(main())
