// Command bench writes a synthetic org through baton-sdk's own c1z writer
// (pkg/dotc1z, v1 SQLite), so bench/writer-vs-go.ts can compare baton-edge
// with the Go SDK on exactly the same messages.
//
//	bench <records> <out.c1z>
//
// <records> is what the TypeScript side generated: a stream of
// (kind byte, uvarint length, protobuf bytes), kind 1 = ResourceType,
// 2 = Resource, 3 = Entitlement, 4 = Grant, in that order. Records are read
// and written in batches, so memory holds one batch, as a connector's pages
// would. Prints one JSON line: counts, seconds, peak RSS, c1z bytes.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"baton-edge/bench/benchcli"
	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorstore"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"google.golang.org/protobuf/proto"
)

const batchSize = 10_000

type result struct {
	Engine        string  `json:"engine"`
	ResourceTypes int     `json:"resourceTypes"`
	Resources     int     `json:"resources"`
	Entitlements  int     `json:"entitlements"`
	Grants        int     `json:"grants"`
	WriteSeconds  float64 `json:"writeSeconds"`
	PeakRssBytes  int64   `json:"peakRssBytes"`
	C1zBytes      int64   `json:"c1zBytes"`
}

func main() { benchcli.Main("bench", run) }

func run(ctx context.Context, recordsPath, outPath string) error {
	in, err := os.Open(recordsPath)
	if err != nil {
		return err
	}
	defer in.Close()
	reader := bufio.NewReaderSize(in, 1<<20)
	tmp, err := os.MkdirTemp("", "bench-go")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	started := time.Now()
	store, err := dotc1z.NewC1ZFile(ctx, outPath, dotc1z.WithTmpDir(tmp))
	if err != nil {
		return err
	}
	if _, err := store.StartNewSync(ctx, connectorstore.SyncTypeFull, ""); err != nil {
		return err
	}
	out := result{Engine: "go baton-sdk v0.8.0 pkg/dotc1z"}
	var (
		kind         byte
		resourceType []*v2.ResourceType
		resources    []*v2.Resource
		entitlements []*v2.Entitlement
		grants       []*v2.Grant
	)
	flush := func() error {
		var err error
		switch {
		case len(resourceType) > 0:
			err = store.PutResourceTypes(ctx, resourceType...)
			out.ResourceTypes += len(resourceType)
		case len(resources) > 0:
			err = store.PutResources(ctx, resources...)
			out.Resources += len(resources)
		case len(entitlements) > 0:
			err = store.PutEntitlements(ctx, entitlements...)
			out.Entitlements += len(entitlements)
		case len(grants) > 0:
			err = store.PutGrants(ctx, grants...)
			out.Grants += len(grants)
		}
		resourceType, resources, entitlements, grants = nil, nil, nil, nil
		return err
	}
	buf := make([]byte, 0, 4096)
	pending := 0
	for {
		next, err := reader.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if (next != kind && pending > 0) || pending == batchSize {
			if err := flush(); err != nil {
				return err
			}
			pending = 0
		}
		kind = next
		size, err := binary.ReadUvarint(reader)
		if err != nil {
			return err
		}
		if uint64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(reader, buf); err != nil {
			return err
		}
		var m proto.Message
		switch kind {
		case 1:
			rt := &v2.ResourceType{}
			resourceType = append(resourceType, rt)
			m = rt
		case 2:
			r := &v2.Resource{}
			resources = append(resources, r)
			m = r
		case 3:
			e := &v2.Entitlement{}
			entitlements = append(entitlements, e)
			m = e
		case 4:
			g := &v2.Grant{}
			grants = append(grants, g)
			m = g
		default:
			return fmt.Errorf("unknown record kind %d", kind)
		}
		if err := proto.Unmarshal(buf, m); err != nil {
			return err
		}
		pending++
	}
	if err := flush(); err != nil {
		return err
	}
	if err := store.EndSync(ctx); err != nil {
		return err
	}
	if err := store.Cleanup(ctx); err != nil {
		return err
	}
	if err := store.Close(ctx); err != nil {
		return err
	}
	out.WriteSeconds = time.Since(started).Seconds()
	out.PeakRssBytes = benchcli.PeakRssBytes()
	if out.C1zBytes, err = benchcli.FileBytes(outPath); err != nil {
		return err
	}
	return benchcli.PrintResult(out)
}
