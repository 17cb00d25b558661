# Independent numpy/scipy evaluation of the TensorRT entropy recipe (with MXNet/onnxruntime smoothing, eps 1e-4)
# for the heavy-tail case pinned in src/methods/entropy.test.ts. Run: python3 entropy_heavy_tail.py
# Prints (best KL, i) and the threshold i * amax / bins.
import numpy as np
from scipy.stats import entropy as kl
def smooth(p, eps=1e-4):
    z=(p==0); nz=(p!=0); nzc=nz.sum()
    if nzc==0: return None
    eps1=eps*z.sum()/nzc
    h=p.astype(np.float64)+eps*z-eps1*nz
    if (h<=0).any(): return None
    return h
vals=[i/19980 for i in range(19980)]+[1+99*i/20 for i in range(20)]
vals=np.array(vals,dtype=np.float32).astype(np.float64)
B=2048;L=128;amax=100.0
hist=np.zeros(B)
for v in np.abs(vals):
    k=int(np.floor((v/2-0)/(amax/2)*B)); k=min(max(k,0),B-1); hist[k]+=1
best=None
for i in range(L,B+1):
    p=hist[:i].copy(); p[i-1]+=hist[i:].sum()
    m=i//L; q=np.zeros(i)
    for g in range(L):
        a=g*m; b=i if g==L-1 else a+m
        seg=hist[a:b]; nzc=(seg>0).sum()
        if nzc: q[a:b]=np.where(seg>0, seg.sum()/nzc, 0)
    ps=smooth(p); qs=smooth(q)
    d=np.inf if ps is None or qs is None else kl(ps,qs)
    if best is None or d<best[0]: best=(d,i)
print(best, best[1]*amax/B)
