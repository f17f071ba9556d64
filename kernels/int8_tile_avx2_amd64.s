//go:build amd64 && !purego

#include "textflag.h"

// ones16 is sixteen 16-bit ones: VPMADDWD with it adds pairs of 16-bit
// sums into 32 bits.
DATA ones16<>+0(SB)/8, $0x0001000100010001
DATA ones16<>+8(SB)/8, $0x0001000100010001
DATA ones16<>+16(SB)/8, $0x0001000100010001
DATA ones16<>+24(SB)/8, $0x0001000100010001
GLOBL ones16<>(SB), RODATA|NOPTR, $32

// func dotU8S8TileAVX2(out *int32, qt *int8, codes *uint8, dim, rows int)
//
// DotU8S8Tile with AVX2 for dim a multiple of 4 and query values within
// +-63 (TileQueryMax): VPMADDUBSW multiplies a row's group of four codes
// (broadcast) by eight queries' groups and adds the products in pairs in
// 16 bits, which cannot saturate at that range (255*63*2 < 32767), and
// VPMADDWD by ones adds the pairs into 32 bits: three instructions for 32
// products, exact. Two rows at a time, then one; a group's 32 queries are
// loaded once for both rows.
//
// Registers: R12 the current rows' codes, R8 dim, BX out for the current
// rows, DX rows left, SI the codes at the group, DI the tile at the
// group, CX groups left; Y0-Y3 the queries' group (eight queries each),
// Y4-Y7 the first row's sums, Y8-Y11 the second's, Y12 Y13 the rows'
// codes, Y14 a product, Y15 the ones.
TEXT ·dotU8S8TileAVX2(SB), NOSPLIT, $0-40
	MOVQ    out+0(FP), BX
	MOVQ    codes+16(FP), R12
	MOVQ    dim+24(FP), R8
	MOVQ    rows+32(FP), DX
	VMOVDQU ones16<>(SB), Y15

rows2:
	CMPQ  DX, $2
	JLT   rows1
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
	MOVQ  R8, CX
	SHRQ  $2, CX

group2:
	VMOVDQU      (DI), Y0
	VMOVDQU      32(DI), Y1
	VMOVDQU      64(DI), Y2
	VMOVDQU      96(DI), Y3
	VPBROADCASTD (SI), Y12
	VPBROADCASTD (SI)(R8*1), Y13
	VPMADDUBSW   Y0, Y12, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y4, Y4
	VPMADDUBSW   Y1, Y12, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y5, Y5
	VPMADDUBSW   Y2, Y12, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y6, Y6
	VPMADDUBSW   Y3, Y12, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y7, Y7
	VPMADDUBSW   Y0, Y13, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y8, Y8
	VPMADDUBSW   Y1, Y13, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y9, Y9
	VPMADDUBSW   Y2, Y13, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y10, Y10
	VPMADDUBSW   Y3, Y13, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y11, Y11
	ADDQ         $4, SI
	ADDQ         $128, DI
	DECQ         CX
	JNZ          group2
	VMOVDQU      Y4, (BX)
	VMOVDQU      Y5, 32(BX)
	VMOVDQU      Y6, 64(BX)
	VMOVDQU      Y7, 96(BX)
	VMOVDQU      Y8, 128(BX)
	VMOVDQU      Y9, 160(BX)
	VMOVDQU      Y10, 192(BX)
	VMOVDQU      Y11, 224(BX)
	ADDQ         $256, BX
	LEAQ         (R12)(R8*2), R12
	SUBQ         $2, DX
	JMP          rows2

rows1:
	TESTQ DX, DX
	JZ    done
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ  R12, SI
	MOVQ  qt+8(FP), DI
	MOVQ  R8, CX
	SHRQ  $2, CX

group1:
	VPBROADCASTD (SI), Y12
	VPMADDUBSW   (DI), Y12, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y4, Y4
	VPMADDUBSW   32(DI), Y12, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y5, Y5
	VPMADDUBSW   64(DI), Y12, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y6, Y6
	VPMADDUBSW   96(DI), Y12, Y14
	VPMADDWD     Y15, Y14, Y14
	VPADDD       Y14, Y7, Y7
	ADDQ         $4, SI
	ADDQ         $128, DI
	DECQ         CX
	JNZ          group1
	VMOVDQU      Y4, (BX)
	VMOVDQU      Y5, 32(BX)
	VMOVDQU      Y6, 64(BX)
	VMOVDQU      Y7, 96(BX)

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
