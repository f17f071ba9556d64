//go:build amd64 && !purego

#include "textflag.h"

// func maxArgAVX512(y *float32, arg *int32, x *float32, n int, base int32)
//
// DI y, SI arg, DX x, CX floats left; Z2 the indexes base+j of the current
// 16 lanes, Z3 sixteen 16s. K1 holds x > y (ordered: a NaN gives 0) and
// selects the lanes stored; K2 masks the tail.
TEXT ·maxArgAVX512(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         arg+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         n+24(FP), CX
	MOVL         base+32(FP), AX
	VPBROADCASTD AX, Z2
	VPADDD       ·iota32(SB), Z2, Z2
	MOVL         $16, AX
	VPBROADCASTD AX, Z3

maxarg16:
	CMPQ      CX, $16
	JLT       maxargtail
	VMOVUPS   (DX), Z0
	VMOVUPS   (DI), Z1
	VCMPPS    $0x1e, Z1, Z0, K1
	VMOVUPS   Z0, K1, (DI)
	VMOVDQU32 Z2, K1, (SI)
	VPADDD    Z3, Z2, Z2
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	SUBQ      $16, CX
	JMP       maxarg16

maxargtail:
	TESTQ     CX, CX
	JZ        maxargdone
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K2
	VMOVUPS.Z (DX), K2, Z0
	VMOVUPS.Z (DI), K2, Z1
	VCMPPS    $0x1e, Z1, Z0, K2, K1
	VMOVUPS   Z0, K1, (DI)
	VMOVDQU32 Z2, K1, (SI)

maxargdone:
	VZEROUPPER
	RET
