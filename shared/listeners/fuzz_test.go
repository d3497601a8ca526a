package listeners

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FuzzDecode reads items made of fuzzed attribute values, as a table
// written by anything could hold: decode never panics, and what it accepts
// is a place of ours, unexpired, with a key and no negative numbers.
func FuzzDecode(f *testing.F) {
	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	f.Add("jb1", "7", "animales", "3", "animales/el pato.mp3", strconv.FormatInt(now.UnixMilli(), 10), strconv.FormatInt(now.Add(TTL).Unix(), 10), uint8(0))
	f.Add("jb1", "-1", "", "0", "#abc", "0", "1", uint8(1))
	f.Add("asksdk", "1e3", "x", "2.5", "", "later", "never", uint8(255))
	f.Fuzz(func(t *testing.T, format, version, playlist, pos, key, at, expires string, kinds uint8) {
		item := map[string]types.AttributeValue{}
		// Each bit picks N or S for one field, so both shapes are tried.
		put := func(bit uint8, name, v string) {
			if kinds&(1<<bit) != 0 {
				item[name] = &types.AttributeValueMemberS{Value: v}
			} else {
				item[name] = &types.AttributeValueMemberN{Value: v}
			}
		}
		item["format"] = &types.AttributeValueMemberS{Value: format}
		item["playlist"] = &types.AttributeValueMemberS{Value: playlist}
		item["key"] = &types.AttributeValueMemberS{Value: key}
		put(0, "version", version)
		put(1, "pos", pos)
		put(2, "at", at)
		put(3, AttrExpires, expires)
		p, ok := decode(item, now)
		if !ok {
			return
		}
		if format != "jb1" || p.Key == "" || p.Version < 0 || p.Pos < 0 || kinds&0x0f != 0 {
			t.Errorf("decode accepted %v as %+v", item, p)
		}
		if exp, _ := strconv.ParseInt(expires, 10, 64); exp <= now.Unix() {
			t.Errorf("decode accepted an item that expired at %d (now %d)", exp, now.Unix())
		}
	})
}
