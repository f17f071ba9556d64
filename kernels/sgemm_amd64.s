//go:build amd64 && !purego

#include "textflag.h"

// SGEMM micro-kernels and packing routines.
//
// The kernels compute one tile of C from a panel of A, read with arbitrary
// strides (rsa between rows, csa between k-steps, so A may be packed or
// used in place), and a micro-panel of B whose k-th row is NR floats at
// b + k*rsb:
//
//	C[i][j] = alpha * sum_p A[i][p]*B[p][j] + beta*C[i][j],  i < mr, j < nr
//
// The tile is accumulated in registers. Each k-step loads one row of B
// into vector registers, broadcasts A[i][p] for every row i and issues one
// FMA per vector of C. Rows beyond mr are computed but not stored, columns
// beyond nr are masked off, and C is not read when beta is 0.
//
// Rows of A are addressed as base + r*rsa with scaled index registers:
// with R8 = rsa, R9 = 3*rsa and R10 = 5*rsa (all in bytes), rows 0..6 from
// a base are (base), (base)(R8*1), (base)(R8*2), (base)(R9*1),
// (base)(R8*4), (base)(R10*1) and (base)(R9*2).

// The bfloat16 variant (dot != 0) takes A and B packed as pairs: each
// 32-bit element of a panel holds two bfloat16 values, those of k-steps 2p
// (low half) and 2p+1 (high half), so one VDPBF16PS adds two k-steps'
// products (exact, then summed in float32) per lane, and k counts pairs.
// The Go assembler does not know the AVX512-BF16 instructions; DPBF16 and
// CVTNE2PS2BF16 encode them from register numbers (0..31) as EVEX bytes:
// 0x62, then P0 = R X B R' 0 0 m m (R, R' the inverted bits 3 and 4 of the
// ModRM.reg register, X, B those of ModRM.rm; mm = 2 for the 0F38 map),
// P1 = W vvvv 1 pp (W = 0, vvvv the inverted low bits of the second
// source, pp = 2 for F3 or 3 for F2), P2 = z L'L b V' aaa (L'L = 2 for 512
// bits, V' the inverted bit 4 of the second source), the opcode and ModRM.

// EVEXP0, EVEXP1 and EVEXP2 are the EVEX payload bytes for destination
// (ModRM.reg) d, first source (vvvv) s and second source (ModRM.rm) r, all
// zmm registers; pp selects the legacy prefix.
#define EVEXP0(d, r) $(((((d)^31)>>3)&1)<<7 | ((((r)^31)>>4)&1)<<6 | ((((r)^31)>>3)&1)<<5 | ((((d)^31)>>4)&1)<<4 | 2)
#define EVEXP1(s, pp) $(((((s)^15)&15)<<3) | 4 | (pp))
#define EVEXP2(s) $(0x40 | ((((s)^31)>>4)&1)<<3)
#define MODRM(d, r) $(0xC0 | (((d)&7)<<3) | ((r)&7))

// DPBF16 is VDPBF16PS Zr, Zs, Zd: for each of 16 lanes, Zd += s.lo*r.lo +
// s.hi*r.hi with the halves as bfloat16 (Intel order: vdpbf16ps zd, zs, zr).
#define DPBF16(d, s, r) \
	BYTE $0x62; BYTE EVEXP0(d, r); BYTE EVEXP1(s, 2); BYTE EVEXP2(s); BYTE $0x52; BYTE MODRM(d, r)

// CVTNE2PS2BF16 is VCVTNE2PS2BF16 Zr, Zs, Zd: the 16-bit elements 0..15 of
// Zd are Zr's floats rounded to bfloat16 (to nearest even), 16..31 Zs's.
#define CVTNE2PS2BF16(d, s, r) \
	BYTE $0x62; BYTE EVEXP0(d, r); BYTE EVEXP1(s, 3); BYTE EVEXP2(s); BYTE $0x72; BYTE MODRM(d, r)

// FMA512 broadcasts A[i][p] from addr into Z30 and adds it times the row
// of B in Z28:Z29 to the accumulators lo:hi of row i.
#define FMA512(addr, lo, hi) \
	VBROADCASTSS addr, Z30; \
	VFMADD231PS  Z28, Z30, lo; \
	VFMADD231PS  Z29, Z30, hi

// DOT512 is FMA512 for bfloat16 pairs: it broadcasts the pair A[i][2p..2p+1]
// and adds its dot products with the pairs of B in Z28:Z29 to Z(lo), Z(hi)
// (register numbers).
#define DOT512(addr, lo, hi) \
	VBROADCASTSS addr, Z30; \
	DPBF16(lo, 28, 30); \
	DPBF16(hi, 29, 30)

// STORE512 stores row lo:hi of the tile to (DX) as alpha*acc + beta*C,
// with alpha in Z28, beta in Z29 and the column masks in K1:K2.
#define STORE512(lo, hi) \
	VMOVUPS.Z   (DX), K1, Z30; \
	VMOVUPS.Z   64(DX), K2, Z31; \
	VMULPS      Z29, Z30, Z30; \
	VMULPS      Z29, Z31, Z31; \
	VFMADD231PS Z28, lo, Z30; \
	VFMADD231PS Z28, hi, Z31; \
	VMOVUPS     Z30, K1, (DX); \
	VMOVUPS     Z31, K2, 64(DX)

// STORE512B0 stores row lo:hi of the tile to (DX) as alpha*acc, with
// alpha in Z28 and the column masks in K1:K2.
#define STORE512B0(lo, hi) \
	VMULPS  Z28, lo, lo; \
	VMULPS  Z28, hi, hi; \
	VMOVUPS lo, K1, (DX); \
	VMOVUPS hi, K2, 64(DX)

// STORE512LO and STORE512LOB0 are STORE512 and STORE512B0 for nr <= 16:
// they leave columns 16..31 alone rather than issue accesses with an
// all-zero mask, which can cost a microcode assist when the address is in
// the next page.
#define STORE512LO(lo) \
	VMOVUPS.Z   (DX), K1, Z30; \
	VMULPS      Z29, Z30, Z30; \
	VFMADD231PS Z28, lo, Z30; \
	VMOVUPS     Z30, K1, (DX)

#define STORE512LOB0(lo) \
	VMULPS  Z28, lo, lo; \
	VMOVUPS lo, K1, (DX)

// NEXTROW moves DX to the next row of C and leaves to label when the mr
// rows are stored.
#define NEXTROW(label) \
	ADDQ R12, DX; \
	DECQ R13; \
	JZ   label

// func sgemmKernel14x32(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc, mr, nr int, alpha, beta float32, dot int)
//
// With dot != 0, A and B hold bfloat16 pairs and k counts pairs.
//
// Registers:
//	CX	k-steps left
//	SI	A, rows 0..6 at the current k-step
//	DI	A, rows 7..13 (SI + 7*rsa)
//	R8, R9, R10	rsa, 3*rsa, 5*rsa in bytes
//	R11	csa in bytes
//	BX	B, current row
//	AX	rsb in bytes; scratch when storing
//	DX	C, current row
//	R12	ldc in bytes
//	R13	rows of C left to store
//	Z0..Z27	accumulators: row r of the tile in Z(2r) (columns 0..15)
//		and Z(2r+1) (columns 16..31)
//	Z28, Z29	the current row of B; alpha and beta when storing
//	Z30	broadcast A value; C values when storing, with Z31
//	K1, K2	store masks for columns 0..15 and 16..31
TEXT ·sgemmKernel14x32(SB), NOSPLIT, $0-96
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R8
	MOVQ csa+24(FP), R11
	MOVQ b+32(FP), BX
	MOVQ rsb+40(FP), AX
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R12
	SHLQ $2, R8
	SHLQ $2, R11
	SHLQ $2, AX
	SHLQ $2, R12
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R10
	LEAQ (R9)(R8*4), DI
	ADDQ SI, DI

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	TESTQ  CX, CX
	JZ     store14
	CMPQ   dot+88(FP), $0
	JNE    dot14

loop14:
	VMOVUPS (BX), Z28
	VMOVUPS 64(BX), Z29
	PREFETCHT0 (BX)(AX*8)
	PREFETCHT0 64(BX)(AX*8)
	FMA512((SI), Z0, Z1)
	FMA512((SI)(R8*1), Z2, Z3)
	FMA512((SI)(R8*2), Z4, Z5)
	FMA512((SI)(R9*1), Z6, Z7)
	FMA512((SI)(R8*4), Z8, Z9)
	FMA512((SI)(R10*1), Z10, Z11)
	FMA512((SI)(R9*2), Z12, Z13)
	FMA512((DI), Z14, Z15)
	FMA512((DI)(R8*1), Z16, Z17)
	FMA512((DI)(R8*2), Z18, Z19)
	FMA512((DI)(R9*1), Z20, Z21)
	FMA512((DI)(R8*4), Z22, Z23)
	FMA512((DI)(R10*1), Z24, Z25)
	FMA512((DI)(R9*2), Z26, Z27)
	ADDQ    R11, SI
	ADDQ    R11, DI
	ADDQ    AX, BX
	DECQ    CX
	JNZ     loop14
	JMP     store14

dot14:
	VMOVUPS (BX), Z28
	VMOVUPS 64(BX), Z29
	PREFETCHT0 (BX)(AX*8)
	PREFETCHT0 64(BX)(AX*8)
	DOT512((SI), 0, 1)
	DOT512((SI)(R8*1), 2, 3)
	DOT512((SI)(R8*2), 4, 5)
	DOT512((SI)(R9*1), 6, 7)
	DOT512((SI)(R8*4), 8, 9)
	DOT512((SI)(R10*1), 10, 11)
	DOT512((SI)(R9*2), 12, 13)
	DOT512((DI), 14, 15)
	DOT512((DI)(R8*1), 16, 17)
	DOT512((DI)(R8*2), 18, 19)
	DOT512((DI)(R9*1), 20, 21)
	DOT512((DI)(R8*4), 22, 23)
	DOT512((DI)(R10*1), 24, 25)
	DOT512((DI)(R9*2), 26, 27)
	ADDQ    R11, SI
	ADDQ    R11, DI
	ADDQ    AX, BX
	DECQ    CX
	JNZ     dot14

store14:
	// K1:K2 = (1<<nr) - 1 selects the first nr of the 32 columns.
	MOVQ         nr+72(FP), CX
	MOVQ         $1, AX
	SHLQ         CX, AX
	DECQ         AX
	KMOVW        AX, K1
	SHRQ         $16, AX
	KMOVW        AX, K2
	MOVQ         mr+64(FP), R13
	VBROADCASTSS alpha+80(FP), Z28
	VBROADCASTSS beta+84(FP), Z29
	MOVL         beta+84(FP), AX
	ANDL         $0x7fffffff, AX // beta == ±0: do not read C
	JZ           beta0_14
	CMPQ         CX, $16
	JLE          lo14
	STORE512(Z0, Z1)
	NEXTROW(done14)
	STORE512(Z2, Z3)
	NEXTROW(done14)
	STORE512(Z4, Z5)
	NEXTROW(done14)
	STORE512(Z6, Z7)
	NEXTROW(done14)
	STORE512(Z8, Z9)
	NEXTROW(done14)
	STORE512(Z10, Z11)
	NEXTROW(done14)
	STORE512(Z12, Z13)
	NEXTROW(done14)
	STORE512(Z14, Z15)
	NEXTROW(done14)
	STORE512(Z16, Z17)
	NEXTROW(done14)
	STORE512(Z18, Z19)
	NEXTROW(done14)
	STORE512(Z20, Z21)
	NEXTROW(done14)
	STORE512(Z22, Z23)
	NEXTROW(done14)
	STORE512(Z24, Z25)
	NEXTROW(done14)
	STORE512(Z26, Z27)
	JMP          done14

lo14:
	STORE512LO(Z0)
	NEXTROW(done14)
	STORE512LO(Z2)
	NEXTROW(done14)
	STORE512LO(Z4)
	NEXTROW(done14)
	STORE512LO(Z6)
	NEXTROW(done14)
	STORE512LO(Z8)
	NEXTROW(done14)
	STORE512LO(Z10)
	NEXTROW(done14)
	STORE512LO(Z12)
	NEXTROW(done14)
	STORE512LO(Z14)
	NEXTROW(done14)
	STORE512LO(Z16)
	NEXTROW(done14)
	STORE512LO(Z18)
	NEXTROW(done14)
	STORE512LO(Z20)
	NEXTROW(done14)
	STORE512LO(Z22)
	NEXTROW(done14)
	STORE512LO(Z24)
	NEXTROW(done14)
	STORE512LO(Z26)
	JMP          done14

beta0_14:
	CMPQ CX, $16
	JLE  lob0_14
	STORE512B0(Z0, Z1)
	NEXTROW(done14)
	STORE512B0(Z2, Z3)
	NEXTROW(done14)
	STORE512B0(Z4, Z5)
	NEXTROW(done14)
	STORE512B0(Z6, Z7)
	NEXTROW(done14)
	STORE512B0(Z8, Z9)
	NEXTROW(done14)
	STORE512B0(Z10, Z11)
	NEXTROW(done14)
	STORE512B0(Z12, Z13)
	NEXTROW(done14)
	STORE512B0(Z14, Z15)
	NEXTROW(done14)
	STORE512B0(Z16, Z17)
	NEXTROW(done14)
	STORE512B0(Z18, Z19)
	NEXTROW(done14)
	STORE512B0(Z20, Z21)
	NEXTROW(done14)
	STORE512B0(Z22, Z23)
	NEXTROW(done14)
	STORE512B0(Z24, Z25)
	NEXTROW(done14)
	STORE512B0(Z26, Z27)
	JMP  done14

lob0_14:
	STORE512LOB0(Z0)
	NEXTROW(done14)
	STORE512LOB0(Z2)
	NEXTROW(done14)
	STORE512LOB0(Z4)
	NEXTROW(done14)
	STORE512LOB0(Z6)
	NEXTROW(done14)
	STORE512LOB0(Z8)
	NEXTROW(done14)
	STORE512LOB0(Z10)
	NEXTROW(done14)
	STORE512LOB0(Z12)
	NEXTROW(done14)
	STORE512LOB0(Z14)
	NEXTROW(done14)
	STORE512LOB0(Z16)
	NEXTROW(done14)
	STORE512LOB0(Z18)
	NEXTROW(done14)
	STORE512LOB0(Z20)
	NEXTROW(done14)
	STORE512LOB0(Z22)
	NEXTROW(done14)
	STORE512LOB0(Z24)
	NEXTROW(done14)
	STORE512LOB0(Z26)

done14:
	VZEROUPPER
	RET

// MASK32 sets K-registers lo:hi to (1<<n) - 1, the first n of 32 lanes.
// It clobbers CX and AX.
#define MASK32(n, lo, hi) \
	MOVQ  n, CX; \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, lo; \
	SHRQ  $16, AX; \
	KMOVW AX, hi

// func packRows512(dst, src *float32, rows, cols, srcStride, dstStride int)
//
// Copies each row of cols floats with a masked load (K1:K2, zeroing the
// other lanes) and stores dstStride floats (K3:K4), so the padding is
// zeroed. Masked-off lanes are not accessed, and no access is issued with
// an all-zero mask (see STORE512LO): there are loops for dstStride <= 16,
// for cols <= 16 < dstStride, and for 16 < cols.
//
// Registers: SI src row, DI dst row, BX rows left, R8 and R9 the strides
// in bytes, Z0:Z1 the row.
TEXT ·packRows512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), BX
	MOVQ srcStride+32(FP), R8
	MOVQ dstStride+40(FP), R9
	SHLQ $2, R8
	SHLQ $2, R9
	MASK32(cols+24(FP), K1, K2)
	MASK32(dstStride+40(FP), K3, K4)
	TESTQ BX, BX
	JZ    prdone
	CMPQ  dstStride+40(FP), $16
	JLE   prloop16
	CMPQ  cols+24(FP), $16
	JLE   prloop16x32

prloop32:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS   Z0, K3, (DI)
	VMOVUPS   Z1, K4, 64(DI)
	ADDQ      R8, SI
	ADDQ      R9, DI
	DECQ      BX
	JNZ       prloop32
	JMP       prdone

prloop16x32:
	VPXORD Z1, Z1, Z1

prloop16x32body:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS   Z0, K3, (DI)
	VMOVUPS   Z1, K4, 64(DI)
	ADDQ      R8, SI
	ADDQ      R9, DI
	DECQ      BX
	JNZ       prloop16x32body
	JMP       prdone

prloop16:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS   Z0, K3, (DI)
	ADDQ      R8, SI
	ADDQ      R9, DI
	DECQ      BX
	JNZ       prloop16

prdone:
	VZEROUPPER
	RET

// iota32 holds the int32s 0, 1, ..., 15 (also used by maxarg_amd64.s).
DATA ·iota32+0(SB)/8, $0x0000000100000000
DATA ·iota32+8(SB)/8, $0x0000000300000002
DATA ·iota32+16(SB)/8, $0x0000000500000004
DATA ·iota32+24(SB)/8, $0x0000000700000006
DATA ·iota32+32(SB)/8, $0x0000000900000008
DATA ·iota32+40(SB)/8, $0x0000000b0000000a
DATA ·iota32+48(SB)/8, $0x0000000d0000000c
DATA ·iota32+56(SB)/8, $0x0000000f0000000e
GLOBL ·iota32(SB), RODATA|NOPTR, $64

// func packCols512(dst, src *float32, rows, cols, srcStride, dstStride int)
//
// Row i of dst is column i of src: each is one gather (two for cols > 16)
// of src[j*srcStride + i], then a store of dstStride floats. As in
// packRows512, no access is issued with an all-zero mask.
//
// Registers:
//	SI	src + 4*i
//	DI	dst row i
//	BX	rows left
//	R9	dstStride in bytes
//	R10, R11	gather masks for columns 0..15 and 16..31
//	Z2, Z3	gather indexes j*srcStride for columns 0..15 and 16..31
//	Z0, Z1	the row; K1, K2 gather masks (cleared by each gather)
//	K3, K4	store masks
TEXT ·packCols512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), BX
	MOVQ dstStride+40(FP), R9
	SHLQ $2, R9
	MASK32(dstStride+40(FP), K3, K4)
	MASK32(cols+24(FP), K1, K2)
	KMOVW K1, R10
	KMOVW K2, R11

	// Z2 = iota * srcStride, Z3 = Z2 + 16*srcStride.
	MOVQ         srcStride+32(FP), AX
	VPBROADCASTD AX, Z4
	VPMULLD      ·iota32(SB), Z4, Z2
	VPSLLD       $4, Z4, Z4
	VPADDD       Z4, Z2, Z3
	TESTQ        BX, BX
	JZ           pcdone
	CMPQ         cols+24(FP), $16
	JGT          pcloop32
	CMPQ         dstStride+40(FP), $16
	JLE          pcloop16
	VPXORD       Z1, Z1, Z1

pcloop16x32:
	VPXORD     Z0, Z0, Z0
	KMOVW      R10, K1
	VGATHERDPS (SI)(Z2*4), K1, Z0
	VMOVUPS    Z0, K3, (DI)
	VMOVUPS    Z1, K4, 64(DI) // padding
	ADDQ       $4, SI
	ADDQ       R9, DI
	DECQ       BX
	JNZ        pcloop16x32
	JMP        pcdone

pcloop16:
	VPXORD     Z0, Z0, Z0
	KMOVW      R10, K1
	VGATHERDPS (SI)(Z2*4), K1, Z0
	VMOVUPS    Z0, K3, (DI)
	ADDQ       $4, SI
	ADDQ       R9, DI
	DECQ       BX
	JNZ        pcloop16
	JMP        pcdone

pcloop32:
	VPXORD     Z0, Z0, Z0
	VPXORD     Z1, Z1, Z1
	KMOVW      R10, K1
	KMOVW      R11, K2
	VGATHERDPS (SI)(Z2*4), K1, Z0
	VGATHERDPS (SI)(Z3*4), K2, Z1
	VMOVUPS    Z0, K3, (DI)
	VMOVUPS    Z1, K4, 64(DI)
	ADDQ       $4, SI
	ADDQ       R9, DI
	DECQ       BX
	JNZ        pcloop32

pcdone:
	VZEROUPPER
	RET

// maskTab holds 16 all-ones words then 16 zero words: the 16 words at
// maskTab+64-4*n have the first n lanes set, for VMASKMOVPS.
DATA maskTab<>+0(SB)/8, $0xffffffffffffffff
DATA maskTab<>+8(SB)/8, $0xffffffffffffffff
DATA maskTab<>+16(SB)/8, $0xffffffffffffffff
DATA maskTab<>+24(SB)/8, $0xffffffffffffffff
DATA maskTab<>+32(SB)/8, $0xffffffffffffffff
DATA maskTab<>+40(SB)/8, $0xffffffffffffffff
DATA maskTab<>+48(SB)/8, $0xffffffffffffffff
DATA maskTab<>+56(SB)/8, $0xffffffffffffffff
DATA maskTab<>+64(SB)/8, $0
DATA maskTab<>+72(SB)/8, $0
DATA maskTab<>+80(SB)/8, $0
DATA maskTab<>+88(SB)/8, $0
DATA maskTab<>+96(SB)/8, $0
DATA maskTab<>+104(SB)/8, $0
DATA maskTab<>+112(SB)/8, $0
DATA maskTab<>+120(SB)/8, $0
GLOBL maskTab<>(SB), RODATA|NOPTR, $128

// LOADMASK16 loads into lo:hi the VMASKMOVPS masks for the first n of 16
// lanes. It clobbers AX and reg.
#define LOADMASK16(n, reg, lo, hi) \
	MOVQ    n, AX; \
	SHLQ    $2, AX; \
	LEAQ    maskTab<>+64(SB), reg; \
	SUBQ    AX, reg; \
	VMOVUPS (reg), lo; \
	VMOVUPS 32(reg), hi

// FMA256 broadcasts A[i][p] from addr into Y14 and adds it times the row
// of B in Y12:Y13 to the accumulators lo:hi of row i.
#define FMA256(addr, lo, hi) \
	VBROADCASTSS addr, Y14; \
	VFMADD231PS  Y12, Y14, lo; \
	VFMADD231PS  Y13, Y14, hi

// STORE256 stores row lo:hi of the tile to (DX) as alpha*acc + beta*C,
// with alpha and beta in the frame and the column masks in Y14:Y15.
#define STORE256(lo, hi) \
	VMASKMOVPS  (DX), Y14, Y12; \
	VMASKMOVPS  32(DX), Y15, Y13; \
	VMULPS      betav-64(SP), Y12, Y12; \
	VMULPS      betav-64(SP), Y13, Y13; \
	VFMADD231PS alphav-32(SP), lo, Y12; \
	VFMADD231PS alphav-32(SP), hi, Y13; \
	VMASKMOVPS  Y12, Y14, (DX); \
	VMASKMOVPS  Y13, Y15, 32(DX)

// STORE256B0 stores row lo:hi of the tile to (DX) as alpha*acc.
#define STORE256B0(lo, hi) \
	VMULPS     alphav-32(SP), lo, lo; \
	VMULPS     alphav-32(SP), hi, hi; \
	VMASKMOVPS lo, Y14, (DX); \
	VMASKMOVPS hi, Y15, 32(DX)

// STORE256F and STORE256FB0 are STORE256 and STORE256B0 for a tile of
// all 16 columns, with plain loads and stores: AMD's Zen 1-3 run a
// VMASKMOVPS store as microcode, a dozen cycles each, which in a product
// of small depth (a convolution over 27 or 90 values) cost as much as the
// multiply-adds.
#define STORE256F(lo, hi) \
	VMULPS      (DX), Y13, Y12; \
	VFMADD231PS alphav-32(SP), lo, Y12; \
	VMOVUPS     Y12, (DX); \
	VMULPS      32(DX), Y13, Y12; \
	VFMADD231PS alphav-32(SP), hi, Y12; \
	VMOVUPS     Y12, 32(DX)

#define STORE256FB0(lo, hi) \
	VMULPS  alphav-32(SP), lo, lo; \
	VMULPS  alphav-32(SP), hi, hi; \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 32(DX)

// STORE256LO and STORE256LOB0 are STORE256 and STORE256B0 for nr <= 8,
// which leave columns 8..15 alone (see STORE512LO).
#define STORE256LO(lo) \
	VMASKMOVPS  (DX), Y14, Y12; \
	VMULPS      betav-64(SP), Y12, Y12; \
	VFMADD231PS alphav-32(SP), lo, Y12; \
	VMASKMOVPS  Y12, Y14, (DX)

#define STORE256LOB0(lo) \
	VMULPS     alphav-32(SP), lo, lo; \
	VMASKMOVPS lo, Y14, (DX)

// func sgemmKernel6x16(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc, mr, nr int, alpha, beta float32)
//
// Registers:
//	CX	k-steps left
//	SI	A, rows 0..5 at the current k-step
//	R8, R9, R10	rsa, 3*rsa, 5*rsa in bytes
//	R11	csa in bytes
//	BX	B, current row
//	AX	rsb in bytes; scratch when storing
//	DX	C, current row
//	R12	ldc in bytes
//	R13	rows of C left to store
//	Y0..Y11	accumulators: row r of the tile in Y(2r) (columns 0..7)
//		and Y(2r+1) (columns 8..15)
//	Y12, Y13	the current row of B; C values when storing
//	Y14	broadcast A value; with Y15 the column masks when storing
// The frame holds alpha and beta broadcast to 8 lanes while storing.
TEXT ·sgemmKernel6x16(SB), NOSPLIT, $64-88
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R8
	MOVQ csa+24(FP), R11
	MOVQ b+32(FP), BX
	MOVQ rsb+40(FP), AX
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R12
	SHLQ $2, R8
	SHLQ $2, R11
	SHLQ $2, AX
	SHLQ $2, R12
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R10

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ  CX, CX
	JZ     store6

loop6:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	FMA256((SI), Y0, Y1)
	FMA256((SI)(R8*1), Y2, Y3)
	FMA256((SI)(R8*2), Y4, Y5)
	FMA256((SI)(R9*1), Y6, Y7)
	FMA256((SI)(R8*4), Y8, Y9)
	FMA256((SI)(R10*1), Y10, Y11)
	ADDQ    R11, SI
	ADDQ    AX, BX
	DECQ    CX
	JNZ     loop6

store6:
	LOADMASK16(nr+72(FP), R9, Y14, Y15)
	MOVQ         nr+72(FP), CX
	MOVQ         mr+64(FP), R13
	VBROADCASTSS alpha+80(FP), Y12
	VMOVUPS      Y12, alphav-32(SP)
	VBROADCASTSS beta+84(FP), Y13
	VMOVUPS      Y13, betav-64(SP)
	MOVL         beta+84(FP), AX
	ANDL         $0x7fffffff, AX // beta == ±0: do not read C
	JZ           beta0_6
	CMPQ         CX, $16
	JEQ          full6
	CMPQ         CX, $8
	JLE          lo6
	STORE256(Y0, Y1)
	NEXTROW(done6)
	STORE256(Y2, Y3)
	NEXTROW(done6)
	STORE256(Y4, Y5)
	NEXTROW(done6)
	STORE256(Y6, Y7)
	NEXTROW(done6)
	STORE256(Y8, Y9)
	NEXTROW(done6)
	STORE256(Y10, Y11)
	JMP          done6

lo6:
	STORE256LO(Y0)
	NEXTROW(done6)
	STORE256LO(Y2)
	NEXTROW(done6)
	STORE256LO(Y4)
	NEXTROW(done6)
	STORE256LO(Y6)
	NEXTROW(done6)
	STORE256LO(Y8)
	NEXTROW(done6)
	STORE256LO(Y10)
	JMP          done6

full6:
	STORE256F(Y0, Y1)
	NEXTROW(done6)
	STORE256F(Y2, Y3)
	NEXTROW(done6)
	STORE256F(Y4, Y5)
	NEXTROW(done6)
	STORE256F(Y6, Y7)
	NEXTROW(done6)
	STORE256F(Y8, Y9)
	NEXTROW(done6)
	STORE256F(Y10, Y11)
	JMP done6

beta0_6:
	CMPQ CX, $16
	JEQ  fullb0_6
	CMPQ CX, $8
	JLE  lob0_6
	STORE256B0(Y0, Y1)
	NEXTROW(done6)
	STORE256B0(Y2, Y3)
	NEXTROW(done6)
	STORE256B0(Y4, Y5)
	NEXTROW(done6)
	STORE256B0(Y6, Y7)
	NEXTROW(done6)
	STORE256B0(Y8, Y9)
	NEXTROW(done6)
	STORE256B0(Y10, Y11)
	JMP  done6

lob0_6:
	STORE256LOB0(Y0)
	NEXTROW(done6)
	STORE256LOB0(Y2)
	NEXTROW(done6)
	STORE256LOB0(Y4)
	NEXTROW(done6)
	STORE256LOB0(Y6)
	NEXTROW(done6)
	STORE256LOB0(Y8)
	NEXTROW(done6)
	STORE256LOB0(Y10)
	JMP  done6

fullb0_6:
	STORE256FB0(Y0, Y1)
	NEXTROW(done6)
	STORE256FB0(Y2, Y3)
	NEXTROW(done6)
	STORE256FB0(Y4, Y5)
	NEXTROW(done6)
	STORE256FB0(Y6, Y7)
	NEXTROW(done6)
	STORE256FB0(Y8, Y9)
	NEXTROW(done6)
	STORE256FB0(Y10, Y11)

done6:
	VZEROUPPER
	RET

// func packRows256(dst, src *float32, rows, cols, srcStride, dstStride int)
//
// As packRows512, for dstStride <= 16: VMASKMOVPS loads cols floats
// (zeroing the rest, masks in Y2:Y3). Every row but the last is stored
// with plain stores of 16 floats (8 for dstStride <= 8), whose part past
// dstStride is overwritten by the next row; the last row, and every row
// when dstStride < 4 (where a plain store would reach past the next row),
// with VMASKMOVPS of dstStride floats (Y4:Y5). Zen 1-3 run a VMASKMOVPS
// store as microcode, a dozen cycles each: two a row cost more than the
// rest of the packing. With dstStride <= 8 only the low halves are
// accessed, as no access is issued with an all-zero mask; with cols <= 8 <
// dstStride the high half stored is zero.
//
// Registers: SI src row, DI dst row, BX rows left, R8 and R9 the strides
// in bytes, Y0:Y1 the row.
TEXT ·packRows256(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), BX
	LOADMASK16(cols+24(FP), R8, Y2, Y3)
	LOADMASK16(dstStride+40(FP), R8, Y4, Y5)
	MOVQ srcStride+32(FP), R8
	MOVQ dstStride+40(FP), R9
	SHLQ $2, R8
	SHLQ $2, R9
	TESTQ BX, BX
	JZ    pr256done
	VXORPS Y1, Y1, Y1
	CMPQ  dstStride+40(FP), $4
	JLT   pr256loop8masked
	CMPQ  dstStride+40(FP), $8
	JLE   pr256loop8
	CMPQ  cols+24(FP), $8
	JLE   pr256loop8x16

pr256loop:
	VMASKMOVPS (SI), Y2, Y0
	VMASKMOVPS 32(SI), Y3, Y1
	DECQ       BX
	JZ         pr256last16
	VMOVUPS    Y0, (DI)
	VMOVUPS    Y1, 32(DI)
	ADDQ       R8, SI
	ADDQ       R9, DI
	JMP        pr256loop

pr256loop8x16:
	VMASKMOVPS (SI), Y2, Y0
	DECQ       BX
	JZ         pr256last16
	VMOVUPS    Y0, (DI)
	VMOVUPS    Y1, 32(DI)
	ADDQ       R8, SI
	ADDQ       R9, DI
	JMP        pr256loop8x16

pr256last16:
	VMASKMOVPS Y0, Y4, (DI)
	VMASKMOVPS Y1, Y5, 32(DI)
	JMP        pr256done

pr256loop8:
	VMASKMOVPS (SI), Y2, Y0
	DECQ       BX
	JZ         pr256last8
	VMOVUPS    Y0, (DI)
	ADDQ       R8, SI
	ADDQ       R9, DI
	JMP        pr256loop8

pr256loop8masked:
	VMASKMOVPS (SI), Y2, Y0
	VMASKMOVPS Y0, Y4, (DI)
	ADDQ       R8, SI
	ADDQ       R9, DI
	DECQ       BX
	JNZ        pr256loop8masked
	JMP        pr256done

pr256last8:
	VMASKMOVPS Y0, Y4, (DI)

pr256done:
	VZEROUPPER
	RET

// bf16Interleave holds the uint16 indexes 0, 16, 1, 17, ..., 15, 31: a
// VPERMW with it interleaves the two halves of a vector of 32 words.
DATA bf16Interleave<>+0(SB)/8, $0x0011000100100000
DATA bf16Interleave<>+8(SB)/8, $0x0013000300120002
DATA bf16Interleave<>+16(SB)/8, $0x0015000500140004
DATA bf16Interleave<>+24(SB)/8, $0x0017000700160006
DATA bf16Interleave<>+32(SB)/8, $0x0019000900180008
DATA bf16Interleave<>+40(SB)/8, $0x001b000b001a000a
DATA bf16Interleave<>+48(SB)/8, $0x001d000d001c000c
DATA bf16Interleave<>+56(SB)/8, $0x001f000f001e000e
GLOBL bf16Interleave<>(SB), RODATA|NOPTR, $64

// PAIR16 rounds the floats of the registers numbered x and y to bfloat16
// and leaves in register zd, numbered d, the 16 pairs (x[j] low, y[j]
// high). Z31 holds bf16Interleave.
#define PAIR16(zd, d, x, y) \
	CVTNE2PS2BF16(d, y, x); \
	VPERMW zd, Z31, zd

// PREFETCH64 and PREFETCH128 prefetch the strips of up to 16 or 32 floats
// that pairBF16 reads 32 and 33 rows ahead of SI.
#define PREFETCH64 \
	PREFETCHT0 (SI)(R10*1); \
	PREFETCHT0 60(SI)(R10*1); \
	PREFETCHT0 (SI)(R11*1); \
	PREFETCHT0 60(SI)(R11*1)

#define PREFETCH128 \
	PREFETCH64; \
	PREFETCHT0 124(SI)(R10*1); \
	PREFETCHT0 124(SI)(R11*1)

// func pairBF16(dst, src *float32, rows, cols, srcStride, dstStride int)
//
// Rows 2r and 2r+1 of src (cols floats each, srcStride apart) become row r
// of dst, dstStride pairs with zeros past cols; an odd last row is paired
// with zeros. dst may be src with equal strides: row r is written after
// rows 2r and 2r+1 are read, and never overlaps a row not yet read.
// cols <= dstStride <= 32; as in packRows512, no access is issued with an
// all-zero mask.
//
// Registers: SI the next source row pair, DI the next destination row,
// BX rows left, R8 and R9 the strides in bytes, K1:K2 the masks of cols
// lanes, K3:K4 those of dstStride lanes.
TEXT ·pairBF16(SB), NOSPLIT, $0-48
	MOVQ      dst+0(FP), DI
	MOVQ      src+8(FP), SI
	MOVQ      rows+16(FP), BX
	MOVQ      srcStride+32(FP), R8
	MOVQ      dstStride+40(FP), R9
	SHLQ      $2, R8
	SHLQ      $2, R9
	MOVQ      R8, R10
	SHLQ      $5, R10
	LEAQ      (R10)(R8*1), R11
	MASK32(cols+24(FP), K1, K2)
	MASK32(dstStride+40(FP), K3, K4)
	VMOVDQU16 bf16Interleave<>(SB), Z31
	VPXORD    Z3, Z3, Z3
	VPXORD    Z4, Z4, Z4
	CMPQ      dstStride+40(FP), $16
	JLE       pair16
	CMPQ      cols+24(FP), $16
	JLE       pair16x32

pair32:
	CMPQ      BX, $2
	JL        pair32last
	PREFETCH128
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z3
	VMOVUPS.Z (SI)(R8*1), K1, Z1
	VMOVUPS.Z 64(SI)(R8*1), K2, Z4
	PAIR16(Z2, 2, 0, 1)
	PAIR16(Z5, 5, 3, 4)
	VMOVUPS   Z2, K3, (DI)
	VMOVUPS   Z5, K4, 64(DI)
	LEAQ      (SI)(R8*2), SI
	ADDQ      R9, DI
	SUBQ      $2, BX
	JMP       pair32

pair32last:
	TESTQ     BX, BX
	JZ        pairdone
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z3
	VPXORD    Z1, Z1, Z1
	VPXORD    Z4, Z4, Z4
	PAIR16(Z2, 2, 0, 1)
	PAIR16(Z5, 5, 3, 4)
	VMOVUPS   Z2, K3, (DI)
	VMOVUPS   Z5, K4, 64(DI)
	JMP       pairdone

	// cols <= 16 < dstStride: the upper half of each row is zero.
pair16x32:
	CMPQ      BX, $2
	JL        pair16x32last
	PREFETCH64
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (SI)(R8*1), K1, Z1
	PAIR16(Z2, 2, 0, 1)
	VMOVUPS   Z2, K3, (DI)
	VMOVUPS   Z3, K4, 64(DI)
	LEAQ      (SI)(R8*2), SI
	ADDQ      R9, DI
	SUBQ      $2, BX
	JMP       pair16x32

pair16x32last:
	TESTQ     BX, BX
	JZ        pairdone
	VMOVUPS.Z (SI), K1, Z0
	VPXORD    Z1, Z1, Z1
	PAIR16(Z2, 2, 0, 1)
	VMOVUPS   Z2, K3, (DI)
	VMOVUPS   Z3, K4, 64(DI)
	JMP       pairdone

pair16:
	CMPQ      BX, $2
	JL        pair16last
	PREFETCH64
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (SI)(R8*1), K1, Z1
	PAIR16(Z2, 2, 0, 1)
	VMOVUPS   Z2, K3, (DI)
	LEAQ      (SI)(R8*2), SI
	ADDQ      R9, DI
	SUBQ      $2, BX
	JMP       pair16

pair16last:
	TESTQ     BX, BX
	JZ        pairdone
	VMOVUPS.Z (SI), K1, Z0
	VPXORD    Z1, Z1, Z1
	PAIR16(Z2, 2, 0, 1)
	VMOVUPS   Z2, K3, (DI)

pairdone:
	VZEROUPPER
	RET

// func cvtRowsBF16(dst, src *float32, rows, cols, srcStride, dstStride int)
//
// Each row of cols floats of src (srcStride apart) becomes ceil(cols/2)
// bfloat16 pairs of its consecutive elements in a row of dst (dstStride
// pairs apart); with odd cols the last pair's high half is zero. No access
// is issued with an all-zero mask.
//
// Registers: SI, DI the current source and destination rows, R10, R11
// the current 32 floats and 16 pairs in them, BX rows left, CX floats left
// in the row, R8 and R9 the strides in bytes, Z0:Z1 32 floats.
TEXT ·cvtRowsBF16(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), BX
	MOVQ srcStride+32(FP), R8
	MOVQ dstStride+40(FP), R9
	SHLQ $2, R8
	SHLQ $2, R9
	TESTQ BX, BX
	JZ    cvtdone

cvtrow:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ cols+24(FP), CX

cvt32:
	CMPQ    CX, $32
	JL      cvttail
	VMOVUPS (R10), Z0
	VMOVUPS 64(R10), Z1
	CVTNE2PS2BF16(2, 1, 0)
	VMOVUPS Z2, (R11)
	ADDQ    $128, R10
	ADDQ    $64, R11
	SUBQ    $32, CX
	JMP     cvt32

cvttail:
	TESTQ CX, CX
	JZ    cvtnext
	// K3 = the first ceil(CX/2) of 16 pairs; K1:K2 the first CX floats.
	LEAQ  1(CX), AX
	SHRQ  $1, AX
	MOVQ  AX, DX
	MOVQ  CX, AX
	MOVQ  DX, CX
	MOVQ  $1, DX
	SHLQ  CX, DX
	DECQ  DX
	KMOVW DX, K3
	MOVQ  AX, CX
	MOVQ  $1, DX
	SHLQ  CX, DX
	DECQ  DX
	KMOVW DX, K1
	SHRQ  $16, DX
	KMOVW DX, K2
	VMOVUPS.Z (R10), K1, Z0
	VPXORD    Z1, Z1, Z1
	CMPQ      AX, $16
	JLE       cvtlast
	VMOVUPS.Z 64(R10), K2, Z1

cvtlast:
	CVTNE2PS2BF16(2, 1, 0)
	VMOVUPS Z2, K3, (R11)

cvtnext:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ BX
	JNZ  cvtrow

cvtdone:
	VZEROUPPER
	RET
