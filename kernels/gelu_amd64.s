//go:build amd64 && !purego

#include "textflag.h"

// Constants of the GELU kernels (see gelu.go), one float32 each.
DATA geluConsts<>+0(SB)/4, $0x3f000000 // half 0.5
DATA geluConsts<>+4(SB)/4, $0x3f3504f3 // invsqrt2 0.7071067811865476
DATA geluConsts<>+8(SB)/4, $0x40800000 // clamp 4.0
DATA geluConsts<>+12(SB)/4, $0xc0800000 // nclamp -4.0
DATA geluConsts<>+16(SB)/4, $0xaf95df0b // a13 -2.72614225801306e-10
DATA geluConsts<>+20(SB)/4, $0x32edffee // a11 2.77068142495902e-08
DATA geluConsts<>+24(SB)/4, $0xb60cff51 // a9 -2.10102402082508e-06
DATA geluConsts<>+28(SB)/4, $0xb86ec2d2 // a7 -5.69250639462346e-05
DATA geluConsts<>+32(SB)/4, $0xba40ac63 // a5 -0.000734990630326855
DATA geluConsts<>+36(SB)/4, $0xbb41a1f6 // a3 -0.00295459980854025
DATA geluConsts<>+40(SB)/4, $0xbc83dbd4 // a1 -0.0160960333262415
DATA geluConsts<>+44(SB)/4, $0xb77460cd // b8 -1.45660718464996e-05
DATA geluConsts<>+48(SB)/4, $0xb95fbd29 // b6 -0.000213374055278905
DATA geluConsts<>+52(SB)/4, $0xbadc924e // b4 -0.00168282697438203
DATA geluConsts<>+56(SB)/4, $0xbbf19bf8 // b2 -0.00737332916720468
DATA geluConsts<>+60(SB)/4, $0xbc69b6a7 // b0 -0.0142647390514189
DATA geluConsts<>+64(SB)/4, $0xc2ae0000 // explow -87.0
DATA geluConsts<>+68(SB)/4, $0x3fb8aa3b // log2e 1.4426950408889634
DATA geluConsts<>+72(SB)/4, $0x3f318000 // c1 0.693359375
DATA geluConsts<>+76(SB)/4, $0xb95e8083 // c2 -0.00021219444
DATA geluConsts<>+80(SB)/4, $0x39506967 // p0 0.000198756915
DATA geluConsts<>+84(SB)/4, $0x3ab743ce // p1 0.0013981999507
DATA geluConsts<>+88(SB)/4, $0x3c088908 // p2 0.0083334519073
DATA geluConsts<>+92(SB)/4, $0x3d2aa9c1 // p3 0.041665795894
DATA geluConsts<>+96(SB)/4, $0x3e2aaaaa // p4 0.16666665459
DATA geluConsts<>+100(SB)/4, $0x3f000000 // p5 0.50000001201
DATA geluConsts<>+104(SB)/4, $0x3f800000 // one 1.0
DATA geluConsts<>+108(SB)/4, $0xbf000000 // nhalf -0.5
DATA geluConsts<>+112(SB)/4, $0x3ecc422a // invsqrt2pi 0.3989422804014327
GLOBL geluConsts<>(SB), RODATA|NOPTR, $116

// func geluAVX512(y, cdf, x *float32, n int)
//
// n is a multiple of 16. Z0 x, Z1 t = clamp(x/√2), Z2 t², Z3 p, Z4 q.
TEXT ·geluAVX512(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ cdf+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS geluConsts<>+0(SB), Z16 // half
	VBROADCASTSS geluConsts<>+4(SB), Z17 // invsqrt2
	VBROADCASTSS geluConsts<>+8(SB), Z18 // clamp
	VBROADCASTSS geluConsts<>+12(SB), Z19 // nclamp
	VBROADCASTSS geluConsts<>+16(SB), Z20 // a13
	VBROADCASTSS geluConsts<>+20(SB), Z21 // a11
	VBROADCASTSS geluConsts<>+24(SB), Z22 // a9
	VBROADCASTSS geluConsts<>+28(SB), Z23 // a7
	VBROADCASTSS geluConsts<>+32(SB), Z24 // a5
	VBROADCASTSS geluConsts<>+36(SB), Z25 // a3
	VBROADCASTSS geluConsts<>+40(SB), Z26 // a1
	VBROADCASTSS geluConsts<>+44(SB), Z27 // b8
	VBROADCASTSS geluConsts<>+48(SB), Z28 // b6
	VBROADCASTSS geluConsts<>+52(SB), Z29 // b4
	VBROADCASTSS geluConsts<>+56(SB), Z30 // b2
	VBROADCASTSS geluConsts<>+60(SB), Z31 // b0

gelu512loop:
	VMOVUPS (SI), Z0
	VMULPS Z17, Z0, Z1
	VMINPS Z18, Z1, Z1
	VMAXPS Z19, Z1, Z1
	VMULPS Z1, Z1, Z2
	VMOVAPS Z20, Z3
	VFMADD213PS Z21, Z2, Z3
	VFMADD213PS Z22, Z2, Z3
	VFMADD213PS Z23, Z2, Z3
	VFMADD213PS Z24, Z2, Z3
	VFMADD213PS Z25, Z2, Z3
	VFMADD213PS Z26, Z2, Z3
	VMULPS Z1, Z3, Z3
	VMOVAPS Z27, Z4
	VFMADD213PS Z28, Z2, Z4
	VFMADD213PS Z29, Z2, Z4
	VFMADD213PS Z30, Z2, Z4
	VFMADD213PS Z31, Z2, Z4
	VDIVPS Z4, Z3, Z3
	VFMADD213PS Z16, Z16, Z3
	VMOVUPS Z3, (DX)
	VMULPS Z3, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $16, CX
	JNZ gelu512loop
	VZEROUPPER
	RET

// func geluBackwardAVX512(dx, dy, x, cdf *float32, n int)
//
// n is a multiple of 16. Z0 x, Z1 a = max(-x²/2, -87), Z2 fx, Z3 r, Z4 p, Z5 r².
TEXT ·geluBackwardAVX512(SB), NOSPLIT, $0-40
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ x+16(FP), BX
	MOVQ cdf+24(FP), DX
	MOVQ n+32(FP), CX
	VBROADCASTSS geluConsts<>+108(SB), Z16 // nhalf
	VBROADCASTSS geluConsts<>+64(SB), Z17 // explow
	VBROADCASTSS geluConsts<>+68(SB), Z18 // log2e
	VBROADCASTSS geluConsts<>+72(SB), Z19 // c1
	VBROADCASTSS geluConsts<>+76(SB), Z20 // c2
	VBROADCASTSS geluConsts<>+80(SB), Z21 // p0
	VBROADCASTSS geluConsts<>+84(SB), Z22 // p1
	VBROADCASTSS geluConsts<>+88(SB), Z23 // p2
	VBROADCASTSS geluConsts<>+92(SB), Z24 // p3
	VBROADCASTSS geluConsts<>+96(SB), Z25 // p4
	VBROADCASTSS geluConsts<>+100(SB), Z26 // p5
	VBROADCASTSS geluConsts<>+104(SB), Z27 // one
	VBROADCASTSS geluConsts<>+112(SB), Z28 // invsqrt2pi
	VBROADCASTSS geluConsts<>+0(SB), Z29 // half

gelub512loop:
	VMOVUPS (BX), Z0
	VMULPS Z0, Z0, Z1
	VMULPS Z16, Z1, Z1
	VMAXPS Z17, Z1, Z1
	VMOVAPS Z1, Z2
	VFMADD213PS Z29, Z18, Z2
	VRNDSCALEPS $1, Z2, Z2
	VMOVAPS Z1, Z3
	VFNMADD231PS Z19, Z2, Z3
	VFNMADD231PS Z20, Z2, Z3
	VMULPS Z3, Z3, Z5
	VMOVAPS Z21, Z4
	VFMADD213PS Z22, Z3, Z4
	VFMADD213PS Z23, Z3, Z4
	VFMADD213PS Z24, Z3, Z4
	VFMADD213PS Z25, Z3, Z4
	VFMADD213PS Z26, Z3, Z4
	VFMADD213PS Z3, Z5, Z4
	VADDPS Z27, Z4, Z4
	VSCALEFPS Z2, Z4, Z4
	VMULPS Z28, Z0, Z0
	VMOVUPS (DX), Z6
	VFMADD213PS Z6, Z4, Z0
	VMULPS (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, BX
	ADDQ $64, DX
	SUBQ $16, CX
	JNZ gelub512loop
	VZEROUPPER
	RET
