//go:build amd64 && !purego

#include "textflag.h"

// The *Blocks kernels: per block of 16 rows stored column by column, one
// broadcast of q[d] and one multiply-add (two for AVX2) per dimension.
// Blocks are independent, so the out-of-order core overlaps their
// dependency chains.

// BLOCKARGS loads DI out, R9 q, R10 dim, SI blocks, R14 blocks left.
#define BLOCKARGS \
	MOVQ out+0(FP), DI; \
	MOVQ q+8(FP), R9; \
	MOVQ dim+16(FP), R10; \
	MOVQ blocks+24(FP), SI; \
	MOVQ nblocks+32(FP), R14

// func dotBlocksAVX512(out, q *float32, dim int, blocks *float32, nblocks int)
TEXT ·dotBlocksAVX512(SB), NOSPLIT, $0-40
	BLOCKARGS

dotblk512:
	VPXORD Z0, Z0, Z0
	MOVQ   R9, BX
	MOVQ   R10, CX

dotdim512:
	VBROADCASTSS (BX), Z2
	VFMADD231PS  (SI), Z2, Z0
	ADDQ         $4, BX
	ADDQ         $64, SI
	DECQ         CX
	JNZ          dotdim512
	VMOVUPS      Z0, (DI)
	ADDQ         $64, DI
	DECQ         R14
	JNZ          dotblk512
	VZEROUPPER
	RET

// func l2sqBlocksAVX512(out, q *float32, dim int, blocks *float32, nblocks int)
TEXT ·l2sqBlocksAVX512(SB), NOSPLIT, $0-40
	BLOCKARGS

l2blk512:
	VPXORD Z0, Z0, Z0
	MOVQ   R9, BX
	MOVQ   R10, CX

l2dim512:
	VBROADCASTSS (BX), Z2
	VSUBPS       (SI), Z2, Z3
	VFMADD231PS  Z3, Z3, Z0
	ADDQ         $4, BX
	ADDQ         $64, SI
	DECQ         CX
	JNZ          l2dim512
	VMOVUPS      Z0, (DI)
	ADDQ         $64, DI
	DECQ         R14
	JNZ          l2blk512
	VZEROUPPER
	RET

// func dotBlocksAVX2(out, q *float32, dim int, blocks *float32, nblocks int)
TEXT ·dotBlocksAVX2(SB), NOSPLIT, $0-40
	BLOCKARGS

dotblk256:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ   R9, BX
	MOVQ   R10, CX

dotdim256:
	VBROADCASTSS (BX), Y2
	VFMADD231PS  (SI), Y2, Y0
	VFMADD231PS  32(SI), Y2, Y1
	ADDQ         $4, BX
	ADDQ         $64, SI
	DECQ         CX
	JNZ          dotdim256
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	ADDQ         $64, DI
	DECQ         R14
	JNZ          dotblk256
	VZEROUPPER
	RET

// func l2sqBlocksAVX2(out, q *float32, dim int, blocks *float32, nblocks int)
TEXT ·l2sqBlocksAVX2(SB), NOSPLIT, $0-40
	BLOCKARGS

l2blk256:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ   R9, BX
	MOVQ   R10, CX

l2dim256:
	VBROADCASTSS (BX), Y2
	VSUBPS       (SI), Y2, Y3
	VSUBPS       32(SI), Y2, Y4
	VFMADD231PS  Y3, Y3, Y0
	VFMADD231PS  Y4, Y4, Y1
	ADDQ         $4, BX
	ADDQ         $64, SI
	DECQ         CX
	JNZ          l2dim256
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	ADDQ         $64, DI
	DECQ         R14
	JNZ          l2blk256
	VZEROUPPER
	RET
