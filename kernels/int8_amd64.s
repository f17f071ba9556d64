//go:build amd64 && !purego

#include "textflag.h"

// int8 products of unsigned codes and a signed query, a row at a time:
// R8 out, R9 q, R10 the bytes of whole vectors, DX the rest (masked with
// K1), R11 the row, R12 the stride in bytes, R14 rows left; Z0 (Y0) sums
// 32-bit lanes.

// I8ARGS loads the arguments.
#define I8ARGS \
	MOVQ out+0(FP), R8; \
	MOVQ q+8(FP), R9; \
	MOVQ dim+16(FP), R10; \
	MOVQ codes+24(FP), R11; \
	MOVQ stride+32(FP), R12; \
	MOVQ n+40(FP), R14

// I8SUM512 adds the 16 lanes of Z0, stores the sum at (R8) and moves to
// the next row.
#define I8SUM512 \
	VEXTRACTI64X4 $1, Z0, Y1; \
	VPADDD        Y1, Y0, Y0; \
	VEXTRACTI128  $1, Y0, X1; \
	VPADDD        X1, X0, X0; \
	VPSHUFD       $0x4e, X0, X1; \
	VPADDD        X1, X0, X0; \
	VPSHUFD       $0xb1, X0, X1; \
	VPADDD        X1, X0, X0; \
	VMOVD         X0, (R8); \
	ADDQ          $4, R8; \
	ADDQ          R12, R11; \
	DECQ          R14

// I8SUM256 adds the 8 lanes of Y0, stores the sum at (R8) and moves R8 on.
#define I8SUM256 \
	VEXTRACTI128 $1, Y0, X1; \
	VPADDD       X1, X0, X0; \
	VPSHUFD      $0x4e, X0, X1; \
	VPADDD       X1, X0, X0; \
	VPSHUFD      $0xb1, X0, X1; \
	VPADDD       X1, X0, X0; \
	VMOVD        X0, (R8); \
	ADDQ         $4, R8

// I8HSUM adds the 16 lanes of z (y and x its lower halves) and stores the
// sum at off(R8). It clobbers Y6.
#define I8HSUM(z, y, x, off) \
	VEXTRACTI64X4 $1, z, Y6; \
	VPADDD        Y6, y, y; \
	VEXTRACTI128  $1, y, X6; \
	VPADDD        X6, x, x; \
	VPSHUFD       $0x4e, x, X6; \
	VPADDD        X6, x, x; \
	VPSHUFD       $0xb1, x, X6; \
	VPADDD        X6, x, x; \
	VMOVD         x, off(R8)

// func dotU8S8RowsVNNI(out *int32, q *int8, dim int, codes *uint8, stride, n int)
//
// 64 bytes a VPDPBUSD, the tail masked.
TEXT ·dotU8S8RowsVNNI(SB), NOSPLIT, $0-48
	I8ARGS
	MOVQ  R10, DX
	ANDQ  $63, DX
	MOVQ  DX, CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVQ AX, K1
	ANDQ  $-64, R10

vnnirow:
	VPXORD Z0, Z0, Z0
	MOVQ   R11, SI
	MOVQ   R9, DI
	MOVQ   R10, CX

vnnivec:
	TESTQ    CX, CX
	JZ       vnnitail
	VMOVDQU8 (SI), Z1
	VPDPBUSD (DI), Z1, Z0
	ADDQ     $64, SI
	ADDQ     $64, DI
	SUBQ     $64, CX
	JMP      vnnivec

vnnitail:
	TESTQ      DX, DX
	JZ         vnnisum
	VMOVDQU8.Z (SI), K1, Z1
	VMOVDQU8.Z (DI), K1, Z2
	VPDPBUSD   Z2, Z1, Z0

vnnisum:
	I8SUM512
	JNZ vnnirow
	VZEROUPPER
	RET

// func dotU8S8RowsAVX512BW(out *int32, q *int8, dim int, codes *uint8, stride, n int)
//
// Without VNNI: 32 bytes widened to 16 bits, VPMADDWD to 32-bit pairs.
TEXT ·dotU8S8RowsAVX512BW(SB), NOSPLIT, $0-48
	I8ARGS
	MOVQ  R10, DX
	ANDQ  $31, DX
	MOVQ  DX, CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVD AX, K1
	ANDQ  $-32, R10

bwrow:
	VPXORD Z0, Z0, Z0
	MOVQ   R11, SI
	MOVQ   R9, DI
	MOVQ   R10, CX

bwvec:
	TESTQ     CX, CX
	JZ        bwtail
	VPMOVZXBW (SI), Z1
	VPMOVSXBW (DI), Z2
	VPMADDWD  Z2, Z1, Z1
	VPADDD    Z1, Z0, Z0
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $32, CX
	JMP       bwvec

bwtail:
	TESTQ      DX, DX
	JZ         bwsum
	VMOVDQU8.Z (SI), K1, Y1
	VMOVDQU8.Z (DI), K1, Y2
	VPMOVZXBW  Y1, Z1
	VPMOVSXBW  Y2, Z2
	VPMADDWD   Z2, Z1, Z1
	VPADDD     Z1, Z0, Z0

bwsum:
	I8SUM512
	JNZ bwrow
	VZEROUPPER
	RET

// func dotU8S8RowsAVX2(out *int32, q *int8, dim int, codes *uint8, stride, n int)
//
// dim is a multiple of 16: 16 bytes widened to 16 bits, VPMADDWD.
TEXT ·dotU8S8RowsAVX2(SB), NOSPLIT, $0-48
	I8ARGS

avx2row:
	VPXOR Y0, Y0, Y0
	MOVQ  R11, SI
	MOVQ  R9, DI
	MOVQ  R10, CX

avx2vec:
	VPMOVZXBW (SI), Y1
	VPMOVSXBW (DI), Y2
	VPMADDWD  Y2, Y1, Y1
	VPADDD    Y1, Y0, Y0
	ADDQ      $16, SI
	ADDQ      $16, DI
	SUBQ      $16, CX
	JNZ       avx2vec
	I8SUM256
	ADDQ         R12, R11
	DECQ         R14
	JNZ          avx2row
	VZEROUPPER
	RET

// func dotU8S8Rows4VNNI(out *int32, qs *int8, dim int, codes *uint8, stride, n int)
//
// Four queries, qs[j*dim:], against each row: one load of 64 codes, four
// VPDPBUSD into Z0..Z3; R13 is dim, the queries' stride.
TEXT ·dotU8S8Rows4VNNI(SB), NOSPLIT, $0-48
	MOVQ  out+0(FP), R8
	MOVQ  qs+8(FP), R9
	MOVQ  dim+16(FP), R10
	MOVQ  codes+24(FP), R11
	MOVQ  stride+32(FP), R12
	MOVQ  n+40(FP), R14
	MOVQ  R10, R13
	MOVQ  R10, DX
	ANDQ  $63, DX
	MOVQ  DX, CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVQ AX, K1
	ANDQ  $-64, R10

v4row:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ   R11, SI
	MOVQ   R9, DI
	MOVQ   R10, CX

v4vec:
	TESTQ    CX, CX
	JZ       v4tail
	VMOVDQU8 (SI), Z4
	LEAQ     (DI)(R13*2), BX
	VPDPBUSD (DI), Z4, Z0
	VPDPBUSD (DI)(R13*1), Z4, Z1
	VPDPBUSD (BX), Z4, Z2
	VPDPBUSD (BX)(R13*1), Z4, Z3
	ADDQ     $64, SI
	ADDQ     $64, DI
	SUBQ     $64, CX
	JMP      v4vec

v4tail:
	TESTQ      DX, DX
	JZ         v4sum
	VMOVDQU8.Z (SI), K1, Z4
	LEAQ       (DI)(R13*2), BX
	VMOVDQU8.Z (DI), K1, Z5
	VPDPBUSD   Z5, Z4, Z0
	VMOVDQU8.Z (DI)(R13*1), K1, Z5
	VPDPBUSD   Z5, Z4, Z1
	VMOVDQU8.Z (BX), K1, Z5
	VPDPBUSD   Z5, Z4, Z2
	VMOVDQU8.Z (BX)(R13*1), K1, Z5
	VPDPBUSD   Z5, Z4, Z3

v4sum:
	I8HSUM(Z0, Y0, X0, 0)
	I8HSUM(Z1, Y1, X1, 4)
	I8HSUM(Z2, Y2, X2, 8)
	I8HSUM(Z3, Y3, X3, 12)
	ADDQ $16, R8
	ADDQ R12, R11
	DECQ R14
	JNZ  v4row
	VZEROUPPER
	RET

// func dotU8S8RowsIdxAVX2(out *int32, q *int8, dim int, codes *uint8, stride int, idx *uint32, n int)
//
// dotU8S8RowsAVX2 for the rows idx[i] (dim a multiple of 16), in one call:
// R13 walks idx, SI the row idx[i]*stride of codes.
TEXT ·dotU8S8RowsIdxAVX2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), R8
	MOVQ q+8(FP), R9
	MOVQ dim+16(FP), R10
	MOVQ codes+24(FP), BX
	MOVQ stride+32(FP), R12
	MOVQ idx+40(FP), R13
	MOVQ n+48(FP), R14

idxrow:
	MOVL  (R13), AX
	IMULQ R12, AX
	LEAQ  (BX)(AX*1), SI
	MOVQ  R9, DI
	MOVQ  R10, CX
	VPXOR Y0, Y0, Y0

idxvec:
	VPMOVZXBW    (SI), Y1
	VPMOVSXBW    (DI), Y2
	VPMADDWD     Y2, Y1, Y1
	VPADDD       Y1, Y0, Y0
	ADDQ         $16, SI
	ADDQ         $16, DI
	SUBQ         $16, CX
	JNZ          idxvec
	I8SUM256
	ADDQ         $4, R13
	DECQ         R14
	JNZ          idxrow
	VZEROUPPER
	RET
