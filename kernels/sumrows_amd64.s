//go:build amd64 && !purego

#include "textflag.h"

// func sumRowsAVX512(dst, x *float32, rows, cols int)
//
// For each block of up to 16 columns (K1 masks the last), Z0 starts as
// dst's block and adds the block of every row in order; rows and cols are
// positive.
//
// Registers: DI the dst block, SI the block in the current row, DX the
// block in row 0, R8 the row stride in bytes, BX rows left, CX columns
// left.
TEXT ·sumRowsAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), DX
	MOVQ cols+24(FP), CX
	MOVQ CX, R8
	SHLQ $2, R8
	KXNORW K1, K1, K1

sumblock:
	CMPQ    CX, $16
	JGE     sumfull
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K1

sumfull:
	VMOVUPS.Z (DI), K1, Z0
	MOVQ      DX, SI
	MOVQ      rows+16(FP), BX

sumrow:
	VMOVUPS.Z (SI), K1, Z1
	VADDPS    Z1, Z0, Z0
	ADDQ      R8, SI
	DECQ      BX
	JNZ       sumrow
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, DX
	SUBQ      $16, CX
	JG        sumblock
	VZEROUPPER
	RET

// func sumRowsAVX2(dst, x *float32, rows, cols, stride int)
//
// The first cols columns (a multiple of 8) of the rows x stride matrix x
// are added to dst: blocks of 32 columns in four accumulators (four
// independent chains of additions), then blocks of 8; each starts as
// dst's block and adds the block of every row in order. rows is positive.
//
// Registers: DI the dst block, SI the block in the current row, DX the
// block in row 0, R8 the row stride in bytes, BX rows left, CX columns
// left.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), DX
	MOVQ cols+24(FP), CX
	MOVQ stride+32(FP), R8
	SHLQ $2, R8

sum2block32:
	CMPQ    CX, $32
	JLT     sum2block8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	MOVQ    DX, SI
	MOVQ    rows+16(FP), BX

sum2row32:
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ   R8, SI
	DECQ   BX
	JNZ    sum2row32
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	JMP     sum2block32

sum2block8:
	CMPQ    CX, $8
	JLT     sum2done
	VMOVUPS (DI), Y0
	MOVQ    DX, SI
	MOVQ    rows+16(FP), BX

sum2row8:
	VADDPS (SI), Y0, Y0
	ADDQ   R8, SI
	DECQ   BX
	JNZ    sum2row8
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     sum2block8

sum2done:
	VZEROUPPER
	RET
