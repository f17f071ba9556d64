//go:build amd64 && !purego

#include "textflag.h"

// Distance kernels, laid out as dotAVX512 and dotAVX2 in vec_amd64.s:
// blocks of 64 (32) floats in four accumulators, single vectors, and for
// AVX-512 one masked vector for the last 1..15 floats.

// ROWSETUP loads the arguments of the *Rows kernels: R8 out, R9 q, R10 the
// floats of q in whole vectors, DX the rest (0..15, with K1 their mask),
// R11 data, R12 the stride in bytes, R13 idx, R14 rows left.
#define ROWSETUP \
	MOVQ  out+0(FP), R8; \
	MOVQ  q+8(FP), R9; \
	MOVQ  dim+16(FP), R10; \
	MOVQ  data+24(FP), R11; \
	MOVQ  stride+32(FP), R12; \
	SHLQ  $2, R12; \
	MOVQ  idx+40(FP), R13; \
	MOVQ  n+48(FP), R14; \
	MOVQ  R10, DX; \
	ANDQ  $15, DX; \
	ANDQ  $-16, R10; \
	MOVQ  DX, CX; \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, K1

// ROWSTART points SI at row (R13) and DI at q, CX floats of whole vectors.
#define ROWSTART \
	MOVL   (R13), AX; \
	IMULQ  R12, AX; \
	LEAQ   (R11)(AX*1), SI; \
	MOVQ   R9, DI; \
	MOVQ   R10, CX; \
	VPXORD Z0, Z0, Z0

// ROWEND stores the sum of Z0's lanes at (R8) and moves to the next row.
#define ROWEND \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPS        Y1, Y0, Y0; \
	VEXTRACTF128  $1, Y0, X1; \
	VADDPS        X1, X0, X0; \
	VMOVHLPS      X0, X0, X1; \
	VADDPS        X1, X0, X0; \
	VMOVSHDUP     X0, X1; \
	VADDSS        X1, X0, X0; \
	VMOVSS        X0, (R8); \
	ADDQ          $4, R8; \
	ADDQ          $4, R13; \
	DECQ          R14

// func l2sqAVX512(x, y *float32, n int) float32
//
// SI x, DI y, CX floats left; Z0..Z3 partial sums, Z4..Z7 differences.
TEXT ·l2sqAVX512(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   CX, $64
	JLT    l2sq512tail

l2sq512loop:
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VMOVUPS     128(SI), Z6
	VMOVUPS     192(SI), Z7
	VSUBPS      (DI), Z4, Z4
	VSUBPS      64(DI), Z5, Z5
	VSUBPS      128(DI), Z6, Z6
	VSUBPS      192(DI), Z7, Z7
	VFMADD231PS Z4, Z4, Z0
	VFMADD231PS Z5, Z5, Z1
	VFMADD231PS Z6, Z6, Z2
	VFMADD231PS Z7, Z7, Z3
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         l2sq512loop

l2sq512tail:
	CMPQ        CX, $16
	JLT         l2sq512last
	VMOVUPS     (SI), Z4
	VSUBPS      (DI), Z4, Z4
	VFMADD231PS Z4, Z4, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         l2sq512tail

l2sq512last:
	TESTQ       CX, CX
	JZ          l2sq512sum
	MOVQ        $1, AX
	SHLQ        CX, AX
	DECQ        AX
	KMOVW       AX, K1
	VMOVUPS.Z   (SI), K1, Z4
	VMOVUPS.Z   (DI), K1, Z5
	VSUBPS      Z5, Z4, Z4
	VFMADD231PS Z4, Z4, Z1

l2sq512sum:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VMOVHLPS      X0, X0, X1
	VADDPS        X1, X0, X0
	VMOVSHDUP     X0, X1
	VADDSS        X1, X0, X0
	VMOVSS        X0, ret+24(FP)
	VZEROUPPER
	RET

// func l2sqAVX2(x, y *float32, n int) float32
//
// n is a multiple of 8. SI x, DI y, CX floats left; Y0..Y3 partial sums,
// Y4..Y7 differences.
TEXT ·l2sqAVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   CX, $32
	JLT    l2sq256by8

l2sq256loop:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VSUBPS      (DI), Y4, Y4
	VSUBPS      32(DI), Y5, Y5
	VSUBPS      64(DI), Y6, Y6
	VSUBPS      96(DI), Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         l2sq256loop

l2sq256by8:
	TESTQ       CX, CX
	JZ          l2sq256sum
	VMOVUPS     (SI), Y4
	VSUBPS      (DI), Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         l2sq256by8

l2sq256sum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET

// func l2sqRowsAVX512(out, q *float32, dim int, data *float32, stride int, idx *uint32, n int)
//
// n > 0, 0 < dim <= 64. Z0 the row's sum, Z1 and Z2 loads.
TEXT ·l2sqRowsAVX512(SB), NOSPLIT, $0-56
	ROWSETUP

l2rows:
	ROWSTART

l2rowvec:
	TESTQ       CX, CX
	JZ          l2rowtail
	VMOVUPS     (SI), Z1
	VSUBPS      (DI), Z1, Z1
	VFMADD231PS Z1, Z1, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         l2rowvec

l2rowtail:
	TESTQ       DX, DX
	JZ          l2rowsum
	VMOVUPS.Z   (SI), K1, Z1
	VMOVUPS.Z   (DI), K1, Z2
	VSUBPS      Z2, Z1, Z1
	VFMADD231PS Z1, Z1, Z0

l2rowsum:
	ROWEND
	JNZ l2rows
	VZEROUPPER
	RET

// func dotRowsAVX512(out, q *float32, dim int, data *float32, stride int, idx *uint32, n int)
//
// As l2sqRowsAVX512, for the inner product.
TEXT ·dotRowsAVX512(SB), NOSPLIT, $0-56
	ROWSETUP

dotrows:
	ROWSTART

dotrowvec:
	TESTQ       CX, CX
	JZ          dotrowtail
	VMOVUPS     (SI), Z1
	VFMADD231PS (DI), Z1, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         dotrowvec

dotrowtail:
	TESTQ       DX, DX
	JZ          dotrowsum
	VMOVUPS.Z   (SI), K1, Z1
	VMOVUPS.Z   (DI), K1, Z2
	VFMADD231PS Z2, Z1, Z0

dotrowsum:
	ROWEND
	JNZ dotrows
	VZEROUPPER
	RET

// rowMask is eight lanes of ones, then eight of zeros: the 8-dx floats
// from rowMask<>+4*(8-dx) mask the first dx lanes of a YMM register.
DATA rowMask<>+0(SB)/4, $0xffffffff
DATA rowMask<>+4(SB)/4, $0xffffffff
DATA rowMask<>+8(SB)/4, $0xffffffff
DATA rowMask<>+12(SB)/4, $0xffffffff
DATA rowMask<>+16(SB)/4, $0xffffffff
DATA rowMask<>+20(SB)/4, $0xffffffff
DATA rowMask<>+24(SB)/4, $0xffffffff
DATA rowMask<>+28(SB)/4, $0xffffffff
DATA rowMask<>+32(SB)/8, $0
DATA rowMask<>+40(SB)/8, $0
DATA rowMask<>+48(SB)/8, $0
DATA rowMask<>+56(SB)/8, $0
GLOBL rowMask<>(SB), RODATA|NOPTR, $64

// ROWSETUP2 is ROWSETUP for the AVX2 kernels: R10 whole floats of 8, DX
// the rest, Y15 the mask of the rest's lanes.
#define ROWSETUP2 \
	MOVQ    out+0(FP), R8; \
	MOVQ    q+8(FP), R9; \
	MOVQ    dim+16(FP), R10; \
	MOVQ    data+24(FP), R11; \
	MOVQ    stride+32(FP), R12; \
	SHLQ    $2, R12; \
	MOVQ    idx+40(FP), R13; \
	MOVQ    n+48(FP), R14; \
	MOVQ    R10, DX; \
	ANDQ    $7, DX; \
	ANDQ    $-8, R10; \
	MOVQ    $8, CX; \
	SUBQ    DX, CX; \
	LEAQ    rowMask<>(SB), AX; \
	VMOVUPS (AX)(CX*4), Y15

// ROWSTART2 is ROWSTART with Y0 the sum.
#define ROWSTART2 \
	MOVL   (R13), AX; \
	IMULQ  R12, AX; \
	LEAQ   (R11)(AX*1), SI; \
	MOVQ   R9, DI; \
	MOVQ   R10, CX; \
	VXORPS Y0, Y0, Y0

// ROWEND2 is ROWEND for Y0.
#define ROWEND2 \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS       X1, X0, X0; \
	VMOVHLPS     X0, X0, X1; \
	VADDPS       X1, X0, X0; \
	VMOVSHDUP    X0, X1; \
	VADDSS       X1, X0, X0; \
	VMOVSS       X0, (R8); \
	ADDQ         $4, R8; \
	ADDQ         $4, R13; \
	DECQ         R14

// func l2sqRowsAVX2(out, q *float32, dim int, data *float32, stride int, idx *uint32, n int)
//
// n > 0, 0 < dim <= 64. Y0 the row's sum, Y1 and Y2 loads; the last
// dim%8 floats loaded masked (VMASKMOVPS does not touch the lanes masked
// off, so a row may end at the end of data).
TEXT ·l2sqRowsAVX2(SB), NOSPLIT, $0-56
	ROWSETUP2

l2rows2:
	ROWSTART2

l2rowvec2:
	TESTQ       CX, CX
	JZ          l2rowtail2
	VMOVUPS     (SI), Y1
	VSUBPS      (DI), Y1, Y1
	VFMADD231PS Y1, Y1, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         l2rowvec2

l2rowtail2:
	TESTQ       DX, DX
	JZ          l2rowsum2
	VMASKMOVPS  (SI), Y15, Y1
	VMASKMOVPS  (DI), Y15, Y2
	VSUBPS      Y2, Y1, Y1
	VFMADD231PS Y1, Y1, Y0

l2rowsum2:
	ROWEND2
	JNZ l2rows2
	VZEROUPPER
	RET

// func dotRowsAVX2(out, q *float32, dim int, data *float32, stride int, idx *uint32, n int)
//
// As l2sqRowsAVX2, for the inner product.
TEXT ·dotRowsAVX2(SB), NOSPLIT, $0-56
	ROWSETUP2

dotrows2:
	ROWSTART2

dotrowvec2:
	TESTQ       CX, CX
	JZ          dotrowtail2
	VMOVUPS     (SI), Y1
	VFMADD231PS (DI), Y1, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dotrowvec2

dotrowtail2:
	TESTQ       DX, DX
	JZ          dotrowsum2
	VMASKMOVPS  (SI), Y15, Y1
	VMASKMOVPS  (DI), Y15, Y2
	VFMADD231PS Y2, Y1, Y0

dotrowsum2:
	ROWEND2
	JNZ dotrows2
	VZEROUPPER
	RET
