//go:build amd64 && !purego

#include "textflag.h"

// widen16 turns a broadcast group of four codes into 16-bit values,
// c0 c1 c2 c3 repeated (VPSHUFB; 0x80 zeroes the high bytes).
DATA widen16<>+0(SB)/8, $0x8003800280018000
DATA widen16<>+8(SB)/8, $0x8003800280018000
DATA widen16<>+16(SB)/8, $0x8003800280018000
DATA widen16<>+24(SB)/8, $0x8003800280018000
GLOBL widen16<>(SB), RODATA|NOPTR, $32

// func dotU8S8TileAVX2(out *int32, qt *int8, codes *uint8, dim, rows int)
//
// DotU8S8Tile with AVX2 for dim a multiple of 4, exact: each group of four
// codes is broadcast and widened to 16 bits (VPSHUFB), the queries' groups
// sign-extended (VPMOVSXBW, four queries a register), and VPMADDWD sums
// two products at a time in 32 bits, so a query's sum is two lanes, added
// (VPHADDD) and put in order (VPERMQ) when the row is done. Two rows at a
// time, then one; the 32 queries in two halves of 16 (the sums of two rows
// for 32 queries would need 16 registers).
//
// Registers: R12 the current rows' codes, R8 dim, BX out for the current
// rows, DX rows left, R14 the half (0 or 64: its offset in a group of the
// tile and in a row of out), SI the codes at the group, DI the tile at the
// group, CX groups left; Y0-Y3 the half's queries at the group, Y4-Y7 the
// first row's sums, Y8-Y11 the second's, Y12 Y13 the rows' codes, Y14 a
// product, Y15 the widening mask.
TEXT ·dotU8S8TileAVX2(SB), NOSPLIT, $0-40
	MOVQ    out+0(FP), BX
	MOVQ    codes+16(FP), R12
	MOVQ    dim+24(FP), R8
	MOVQ    rows+32(FP), DX
	VMOVDQU widen16<>(SB), Y15

rows2:
	CMPQ DX, $2
	JLT  rows1
	XORQ R14, R14

half2:
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	MOVQ  R12, SI
	MOVQ  qt+8(FP), DI
	ADDQ  R14, DI
	MOVQ  R8, CX
	SHRQ  $2, CX

group2:
	VPMOVSXBW    (DI), Y0
	VPMOVSXBW    16(DI), Y1
	VPMOVSXBW    32(DI), Y2
	VPMOVSXBW    48(DI), Y3
	VPBROADCASTD (SI), Y12
	VPSHUFB      Y15, Y12, Y12
	VPBROADCASTD (SI)(R8*1), Y13
	VPSHUFB      Y15, Y13, Y13
	VPMADDWD     Y0, Y12, Y14
	VPADDD       Y14, Y4, Y4
	VPMADDWD     Y1, Y12, Y14
	VPADDD       Y14, Y5, Y5
	VPMADDWD     Y2, Y12, Y14
	VPADDD       Y14, Y6, Y6
	VPMADDWD     Y3, Y12, Y14
	VPADDD       Y14, Y7, Y7
	VPMADDWD     Y0, Y13, Y14
	VPADDD       Y14, Y8, Y8
	VPMADDWD     Y1, Y13, Y14
	VPADDD       Y14, Y9, Y9
	VPMADDWD     Y2, Y13, Y14
	VPADDD       Y14, Y10, Y10
	VPMADDWD     Y3, Y13, Y14
	VPADDD       Y14, Y11, Y11
	ADDQ         $4, SI
	ADDQ         $128, DI
	DECQ         CX
	JNZ          group2
	VPHADDD      Y5, Y4, Y4
	VPHADDD      Y7, Y6, Y6
	VPHADDD      Y9, Y8, Y8
	VPHADDD      Y11, Y10, Y10
	VPERMQ       $0xD8, Y4, Y4
	VPERMQ       $0xD8, Y6, Y6
	VPERMQ       $0xD8, Y8, Y8
	VPERMQ       $0xD8, Y10, Y10
	VMOVDQU      Y4, (BX)(R14*1)
	VMOVDQU      Y6, 32(BX)(R14*1)
	VMOVDQU      Y8, 128(BX)(R14*1)
	VMOVDQU      Y10, 160(BX)(R14*1)
	ADDQ         $64, R14
	CMPQ         R14, $128
	JLT          half2
	ADDQ         $256, BX
	LEAQ         (R12)(R8*2), R12
	SUBQ         $2, DX
	JMP          rows2

rows1:
	TESTQ DX, DX
	JZ    done
	XORQ  R14, R14

half1:
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ  R12, SI
	MOVQ  qt+8(FP), DI
	ADDQ  R14, DI
	MOVQ  R8, CX
	SHRQ  $2, CX

group1:
	VPBROADCASTD (SI), Y12
	VPSHUFB      Y15, Y12, Y12
	VPMOVSXBW    (DI), Y0
	VPMADDWD     Y0, Y12, Y14
	VPADDD       Y14, Y4, Y4
	VPMOVSXBW    16(DI), Y1
	VPMADDWD     Y1, Y12, Y14
	VPADDD       Y14, Y5, Y5
	VPMOVSXBW    32(DI), Y2
	VPMADDWD     Y2, Y12, Y14
	VPADDD       Y14, Y6, Y6
	VPMOVSXBW    48(DI), Y3
	VPMADDWD     Y3, Y12, Y14
	VPADDD       Y14, Y7, Y7
	ADDQ         $4, SI
	ADDQ         $128, DI
	DECQ         CX
	JNZ          group1
	VPHADDD      Y5, Y4, Y4
	VPHADDD      Y7, Y6, Y6
	VPERMQ       $0xD8, Y4, Y4
	VPERMQ       $0xD8, Y6, Y6
	VMOVDQU      Y4, (BX)(R14*1)
	VMOVDQU      Y6, 32(BX)(R14*1)
	ADDQ         $64, R14
	CMPQ         R14, $128
	JLT          half1

done:
	VZEROUPPER
	RET

// func atLeast32AVX2(masks *uint32, s *int32, t *int32, rows int)
//
// masks[i] bit j = s[i*32+j] >= t[j]: four VPCMPGTD (t > s) against the
// thresholds held in Y0-Y3, their sign bits gathered (VMOVMSKPS), joined
// and inverted.
TEXT ·atLeast32AVX2(SB), NOSPLIT, $0-32
	MOVQ    masks+0(FP), DI
	MOVQ    s+8(FP), SI
	MOVQ    t+16(FP), AX
	MOVQ    rows+24(FP), CX
	VMOVDQU (AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3

loop:
	VPCMPGTD  (SI), Y0, Y4
	VPCMPGTD  32(SI), Y1, Y5
	VPCMPGTD  64(SI), Y2, Y6
	VPCMPGTD  96(SI), Y3, Y7
	VMOVMSKPS Y4, AX
	VMOVMSKPS Y5, BX
	VMOVMSKPS Y6, DX
	VMOVMSKPS Y7, R8
	SHLL      $8, BX
	SHLL      $16, DX
	SHLL      $24, R8
	ORL       BX, AX
	ORL       DX, AX
	ORL       R8, AX
	NOTL      AX
	MOVL      AX, (DI)
	ADDQ      $128, SI
	ADDQ      $4, DI
	DECQ      CX
	JNZ       loop
	VZEROUPPER
	RET
