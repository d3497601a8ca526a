package manifest

import (
	"hash/fnv"
	"math/rand/v2"
)

// Shuffle gives every playlist a fresh uniform order (Fisher–Yates) from a
// seed derived from seed and the playlist's name, and records that seed.
func (m *Manifest) Shuffle(seed uint64) {
	for i := range m.Playlists {
		p := &m.Playlists[i]
		p.Seed = PlaylistSeed(seed, p.Name)
		FisherYates(p.Order, p.Seed)
	}
}

// PlaylistSeed derives a playlist's seed from a manifest-wide seed.
func PlaylistSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}

// FisherYates shuffles order uniformly with a PCG generator seeded by seed.
// The same seed gives the same order.
func FisherYates(order []uint32, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x6a6f6b65626f78)) // "jokebox"
	for i := len(order) - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		order[i], order[j] = order[j], order[i]
	}
}
