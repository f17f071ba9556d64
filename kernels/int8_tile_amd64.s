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
