//go:build amd64 && !purego

#include "textflag.h"

// func atLeast32AVX512(masks *uint32, s *int32, t *int32, rows int)
//
// masks[i] bit j = s[i*32+j] >= t[j]: two VPCMPD (signed, t <= s)
// against the thresholds held in Z0:Z1, the two 16-bit masks joined.
TEXT ·atLeast32AVX512(SB), NOSPLIT, $0-32
	MOVQ    masks+0(FP), DI
	MOVQ    s+8(FP), SI
	MOVQ    t+16(FP), AX
	MOVQ    rows+24(FP), CX
	VMOVDQU32 (AX), Z0
	VMOVDQU32 64(AX), Z1

loop:
	VPCMPD  $2, (SI), Z0, K1
	VPCMPD  $2, 64(SI), Z1, K2
	KMOVW   K1, AX
	KMOVW   K2, BX
	SHLL    $16, BX
	ORL     BX, AX
	MOVL    AX, (DI)
	ADDQ    $128, SI
	ADDQ    $4, DI
	DECQ    CX
	JNZ     loop
	VZEROUPPER
	RET

// func dotU8S8TileVNNI(out *int32, qt *int8, codes *uint8, dim, rows int)
//
// DotU8S8Tile with VPDPBUSD for dim a multiple of 4: eight rows at a time,
// then one; for each group of four values, the 32 queries' groups (two
// zmm) are loaded once and each row's four codes broadcast against them.
//
// Registers: SI codes of the first row at the current group, R8 dim, R9
// 3*dim, R10 5*dim, R11 7*dim, DI the tile at the current group, CX groups
// left, DX rows left, BX out, Z0..Z15 the sums (row t in Z(2t), Z(2t+1)),
// Z16:Z17 the queries' group, Z18 the broadcast codes.
TEXT ·dotU8S8TileVNNI(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), BX
	MOVQ codes+16(FP), R12
	MOVQ dim+24(FP), R8
	MOVQ rows+32(FP), DX
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R10
	LEAQ (R9)(R8*4), R11
	MOVQ R8, R13
	SHLQ $3, R13

rows8:
	CMPQ DX, $8
	JLT  rows1
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
	MOVQ R12, SI
	MOVQ qt+8(FP), DI
	MOVQ R8, CX
	SHRQ $2, CX

group8:
	VMOVDQU32 (DI), Z16
	VMOVDQU32 64(DI), Z17
	VPBROADCASTD (SI), Z18
	VPDPBUSD Z16, Z18, Z0
	VPDPBUSD Z17, Z18, Z1
	VPBROADCASTD (SI)(R8*1), Z18
	VPDPBUSD Z16, Z18, Z2
	VPDPBUSD Z17, Z18, Z3
	VPBROADCASTD (SI)(R8*2), Z18
	VPDPBUSD Z16, Z18, Z4
	VPDPBUSD Z17, Z18, Z5
	VPBROADCASTD (SI)(R9*1), Z18
	VPDPBUSD Z16, Z18, Z6
	VPDPBUSD Z17, Z18, Z7
	VPBROADCASTD (SI)(R8*4), Z18
	VPDPBUSD Z16, Z18, Z8
	VPDPBUSD Z17, Z18, Z9
	VPBROADCASTD (SI)(R10*1), Z18
	VPDPBUSD Z16, Z18, Z10
	VPDPBUSD Z17, Z18, Z11
	VPBROADCASTD (SI)(R9*2), Z18
	VPDPBUSD Z16, Z18, Z12
	VPDPBUSD Z17, Z18, Z13
	VPBROADCASTD (SI)(R11*1), Z18
	VPDPBUSD Z16, Z18, Z14
	VPDPBUSD Z17, Z18, Z15
	ADDQ $4, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  group8
	VMOVDQU32 Z0, 0(BX)
	VMOVDQU32 Z1, 64(BX)
	VMOVDQU32 Z2, 128(BX)
	VMOVDQU32 Z3, 192(BX)
	VMOVDQU32 Z4, 256(BX)
	VMOVDQU32 Z5, 320(BX)
	VMOVDQU32 Z6, 384(BX)
	VMOVDQU32 Z7, 448(BX)
	VMOVDQU32 Z8, 512(BX)
	VMOVDQU32 Z9, 576(BX)
	VMOVDQU32 Z10, 640(BX)
	VMOVDQU32 Z11, 704(BX)
	VMOVDQU32 Z12, 768(BX)
	VMOVDQU32 Z13, 832(BX)
	VMOVDQU32 Z14, 896(BX)
	VMOVDQU32 Z15, 960(BX)
	ADDQ $1024, BX
	ADDQ R13, R12
	SUBQ $8, DX
	JMP  rows8

rows1:
	TESTQ DX, DX
	JZ    done
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	MOVQ   R12, SI
	MOVQ   qt+8(FP), DI
	MOVQ   R8, CX
	SHRQ   $2, CX

group1:
	VPBROADCASTD (SI), Z18
	VPDPBUSD     (DI), Z18, Z0
	VPDPBUSD     64(DI), Z18, Z1
	ADDQ         $4, SI
	ADDQ         $128, DI
	DECQ         CX
	JNZ          group1
	VMOVDQU32    Z0, (BX)
	VMOVDQU32    Z1, 64(BX)
	ADDQ         $128, BX
	ADDQ         R8, R12
	DECQ         DX
	JMP          rows1

done:
	VZEROUPPER
	RET

// func dotU8S8RowsIdxVNNI(out *int32, q *int8, dim int, codes *uint8, stride int, idx *uint32, n int)
//
// out[i] = q · codes[idx[i]*stride:], 64 bytes a VPDPBUSD, the tail
// masked (K1).
//
// Registers: BX codes, R12 stride, R13 the next index, R8 out, R9 q, R10
// whole 64-byte blocks' bytes, DX the rest, R14 rows left, SI and DI the
// current row and query bytes, Z0 the sums.
TEXT ·dotU8S8RowsIdxVNNI(SB), NOSPLIT, $0-56
	MOVQ  out+0(FP), R8
	MOVQ  q+8(FP), R9
	MOVQ  dim+16(FP), R10
	MOVQ  codes+24(FP), BX
	MOVQ  stride+32(FP), R12
	MOVQ  idx+40(FP), R13
	MOVQ  n+48(FP), R14
	MOVQ  R10, DX
	ANDQ  $63, DX
	MOVQ  DX, CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVQ AX, K1
	ANDQ  $-64, R10

irow:
	MOVL   (R13), AX
	IMULQ  R12, AX
	LEAQ   (BX)(AX*1), SI
	MOVQ   R9, DI
	MOVQ   R10, CX
	VPXORD Z0, Z0, Z0

ivec:
	TESTQ    CX, CX
	JZ       itail
	VMOVDQU8 (SI), Z1
	VPDPBUSD (DI), Z1, Z0
	ADDQ     $64, SI
	ADDQ     $64, DI
	SUBQ     $64, CX
	JMP      ivec

itail:
	TESTQ      DX, DX
	JZ         isum
	VMOVDQU8.Z (SI), K1, Z1
	VMOVDQU8.Z (DI), K1, Z2
	VPDPBUSD   Z2, Z1, Z0

isum:
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD        Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0x4e, X0, X1
	VPADDD        X1, X0, X0
	VPSHUFD       $0xb1, X0, X1
	VPADDD        X1, X0, X0
	VMOVD         X0, (R8)
	ADDQ          $4, R8
	ADDQ          $4, R13
	DECQ          R14
	JNZ           irow
	VZEROUPPER
	RET

// func prefetchRows(base *float32, stride int, idx *uint32, n int, off int)
//
// PREFETCHT0 of the two cache lines at base + idx[i]*stride*4 + off*4,
// for i < n.
TEXT ·prefetchRows(SB), NOSPLIT, $0-40
	MOVQ base+0(FP), SI
	MOVQ stride+8(FP), DX
	MOVQ idx+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ off+32(FP), R8
	SHLQ $2, DX
	SHLQ $2, R8
	ADDQ R8, SI
	TESTQ CX, CX
	JZ   pfdone

pfloop:
	MOVL       (BX), AX
	IMULQ      DX, AX
	PREFETCHT0 (SI)(AX*1)
	PREFETCHT0 64(SI)(AX*1)
	ADDQ       $4, BX
	DECQ       CX
	JNZ        pfloop

pfdone:
	RET
