// Command service-go is a stand-in for ConductorOne's connector API, built on
// baton-sdk's own generated BatonService stubs (pb/c1/connectorapi/baton/v1)
// and its c1z reader (pkg/dotc1z). The service-mode tests run baton-edge
// against it: it serves the token endpoint and BatonService over TLS with a CA
// it makes, hands out a scripted list of tasks, checks what comes back, and
// writes what it saw to <dir>/report.json.
//
//	service-go -dir <dir> -scenario main|heartbeat|outage|oneshot|reject-token|expired
//
// It writes <dir>/ca.pem and <dir>/secret.txt (a client secret for
// edge-test@c1.test/pcc), prints "LISTENING <port>", and "DONE" once the
// scenario has ended.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	v1 "github.com/conductorone/baton-sdk/pb/c1/connectorapi/baton/v1"
	reader_v2 "github.com/conductorone/baton-sdk/pb/c1/reader/v2"
	"github.com/conductorone/baton-sdk/pkg/crypto/providers/jwk"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/segmentio/ksuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	clientID      = "edge-test@c1.test/pcc"
	audience      = "c1.test"
	chunkLimit    = 1 << 20
	sdkChunkBytes = 512 * 1024
)

// ---- what the server saw ----------------------------------------------------

type counts struct {
	ResourceTypes int `json:"resourceTypes"`
	Resources     int `json:"resources"`
	Entitlements  int `json:"entitlements"`
	Grants        int `json:"grants"`
}

type upload struct {
	TaskID        string   `json:"taskId"`
	HostID        string   `json:"hostId"`
	Bytes         int      `json:"bytes"`
	Chunks        []int    `json:"chunks"`
	SHA256        string   `json:"sha256"`
	EOFChecksum   string   `json:"eofChecksum"`
	Counts        counts   `json:"counts"`
	SyncType      string   `json:"syncType"`
	ResourceTypes []string `json:"resourceTypeIds"`
	SecretInFile  bool     `json:"secretInFile"`
	path          string
	grants        map[string]*v2.Grant
	resources     []*v2.Resource
}

type finish struct {
	TaskID       string `json:"taskId"`
	Success      bool   `json:"success"`
	Code         int32  `json:"code"`
	Message      string `json:"message"`
	NonRetryable bool   `json:"nonRetryable"`
	ResponseType string `json:"responseType"`
	response     []byte
}

type taskRecord struct {
	Name       string    `json:"name"`
	ID         string    `json:"id"`
	Heartbeats []float64 `json:"heartbeatsMs"` // ms since the task was handed out
	Finish     *finish   `json:"finish"`
	Upload     *upload   `json:"upload"`
	handedAt   time.Time
	done       chan struct{}
	cancelAt   int // cancel through the n-th heartbeat (1-based); 0: never
	onBeat     func(n int)
}

type report struct {
	Scenario       string                 `json:"scenario"`
	Failures       []string               `json:"failures"`
	Facts          map[string]any         `json:"facts"`
	Tasks          []*taskRecord          `json:"tasks"`
	Hellos         []json.RawMessage      `json:"hellos"`
	TokenRequests  int                    `json:"tokenRequests"`
	UserAgents     []string               `json:"userAgents"`
	Assertion      map[string]any         `json:"assertion"`
	mu             sync.Mutex
	helloSeen      chan string
	secretMarkers  [][]byte
	pollTimes      []time.Time
	grantsByUpload map[string]map[string]*v2.Grant
}

func (r *report) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

func (r *report) fact(name string, value any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Facts[name] = value
}

// ---- the server -------------------------------------------------------------

type server struct {
	v1.UnimplementedBatonServiceServer
	rep       *report
	pub       ed25519.PublicKey
	scenario  string
	dir       string
	mu        sync.Mutex
	tokens    map[string]bool
	queue     []*taskRecord
	byID      map[string]*taskRecord
	heartbeat time.Duration
}

func (s *server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	s.rep.mu.Lock()
	s.rep.TokenRequests++
	s.rep.mu.Unlock()
	if s.scenario == "reject-token" {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	bad := func(format string, args ...any) {
		s.rep.fail("token request: "+format, args...)
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
	}
	if r.PostForm.Get("client_id") != clientID || r.PostForm.Get("grant_type") != "client_credentials" ||
		r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		bad("unexpected form %v", r.PostForm)
		return
	}
	tok, err := jwt.ParseSigned(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		bad("assertion does not parse: %v", err)
		return
	}
	claims := jwt.Claims{}
	if err := tok.Claims(s.pub, &claims); err != nil {
		bad("assertion signature: %v", err)
		return
	}
	now := time.Now()
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: clientID, Subject: clientID, AnyAudience: jwt.Audience{audience}, Time: now}, 0); err != nil {
		bad("assertion claims: %v", err)
		return
	}
	if len(tok.Headers) != 1 || tok.Headers[0].Nonce == "" {
		bad("assertion has no nonce header")
		return
	}
	s.rep.mu.Lock()
	s.rep.Assertion = map[string]any{
		"alg":           tok.Headers[0].Algorithm,
		"nonceBytes":    len(mustB64(tok.Headers[0].Nonce)),
		"iss":           claims.Issuer,
		"sub":           claims.Subject,
		"aud":           []string(claims.Audience),
		"lifetimeS":     claims.Expiry.Time().Sub(claims.IssuedAt.Time()).Seconds(),
		"notBeforeS":    claims.IssuedAt.Time().Sub(claims.NotBefore.Time()).Seconds(),
		"contentType":   r.Header.Get("Content-Type"),
		"requestMethod": r.Method,
	}
	s.rep.mu.Unlock()
	token := "tok-" + ksuid.New().String()
	s.mu.Lock()
	s.tokens[token] = true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600})
}

func mustB64(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

func (s *server) authorize(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if ua := md.Get("user-agent"); len(ua) > 0 {
		s.rep.mu.Lock()
		if len(s.rep.UserAgents) < 3 {
			s.rep.UserAgents = append(s.rep.UserAgents, ua[0])
		}
		s.rep.mu.Unlock()
	}
	if s.scenario == "expired" {
		return status.Error(codes.Unauthenticated, "access token is expired")
	}
	auth := md.Get("authorization")
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "Bearer ") {
		return status.Error(codes.Unauthenticated, "no bearer token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tokens[strings.TrimPrefix(auth[0], "Bearer ")] {
		return status.Error(codes.Unauthenticated, "unknown token")
	}
	return nil
}

func (s *server) unaryAuth(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := s.authorize(ctx); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (s *server) streamAuth(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := s.authorize(ss.Context()); err != nil {
		return err
	}
	return handler(srv, ss)
}

func (s *server) Hello(_ context.Context, req *v1.BatonServiceHelloRequest) (*v1.BatonServiceHelloResponse, error) {
	text, _ := protojson.Marshal(req)
	s.rep.mu.Lock()
	s.rep.Hellos = append(s.rep.Hellos, text)
	s.rep.mu.Unlock()
	if req.GetTaskId() != "" {
		if t := s.task(req.GetTaskId()); t != nil {
			closeOnce(t)
		}
	}
	select {
	case s.rep.helloSeen <- req.GetTaskId():
	default:
	}
	return &v1.BatonServiceHelloResponse{}, nil
}

func closeOnce(t *taskRecord) {
	select {
	case <-t.done:
	default:
		close(t.done)
	}
}

func (s *server) task(id string) *taskRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

func (s *server) GetTask(_ context.Context, req *v1.BatonServiceGetTaskRequest) (*v1.BatonServiceGetTaskResponse, error) {
	s.rep.mu.Lock()
	s.rep.pollTimes = append(s.rep.pollTimes, time.Now())
	s.rep.mu.Unlock()
	if req.GetHostId() != "edge-host-1" {
		s.rep.fail("GetTask host_id %q", req.GetHostId())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &v1.BatonServiceGetTaskResponse{}
	resp.SetNextPoll(durationpb.New(100 * time.Millisecond))
	resp.SetNextHeartbeat(durationpb.New(s.heartbeat))
	if len(s.queue) > 0 {
		t := s.queue[0]
		s.queue = s.queue[1:]
		t.handedAt = time.Now()
		resp.SetTask(s.taskProto(t))
	}
	return resp, nil
}

// The tasks, by name: what the script hands out.
var taskProtos = map[string]*v1.Task{}

func (s *server) taskProto(t *taskRecord) *v1.Task { return taskProtos[t.ID] }

func (s *server) Heartbeat(_ context.Context, req *v1.BatonServiceHeartbeatRequest) (*v1.BatonServiceHeartbeatResponse, error) {
	t := s.task(req.GetTaskId())
	if t == nil {
		return nil, status.Errorf(codes.NotFound, "no task %s", req.GetTaskId())
	}
	s.mu.Lock()
	t.Heartbeats = append(t.Heartbeats, float64(time.Since(t.handedAt).Milliseconds()))
	n := len(t.Heartbeats)
	s.mu.Unlock()
	if t.onBeat != nil {
		t.onBeat(n)
	}
	resp := &v1.BatonServiceHeartbeatResponse{}
	resp.SetNextHeartbeat(durationpb.New(s.heartbeat))
	resp.SetCancelled(t.cancelAt > 0 && n >= t.cancelAt)
	return resp, nil
}

func (s *server) FinishTask(_ context.Context, req *v1.BatonServiceFinishTaskRequest) (*v1.BatonServiceFinishTaskResponse, error) {
	t := s.task(req.GetTaskId())
	if t == nil {
		return nil, status.Errorf(codes.NotFound, "no task %s", req.GetTaskId())
	}
	if req.GetHostId() != "edge-host-1" {
		s.rep.fail("FinishTask host_id %q", req.GetHostId())
	}
	f := &finish{TaskID: req.GetTaskId(), Success: req.HasSuccess()}
	if req.HasSuccess() {
		if any := req.GetSuccess().GetResponse(); any != nil {
			f.ResponseType = any.GetTypeUrl()
			f.response = any.GetValue()
		}
	} else {
		f.Code = req.GetStatus().GetCode()
		f.Message = req.GetStatus().GetMessage()
		f.NonRetryable = req.GetError().GetNonRetryable()
	}
	s.mu.Lock()
	if t.Finish != nil {
		s.rep.fail("task %s finished twice", t.Name)
	}
	t.Finish = f
	s.mu.Unlock()
	closeOnce(t)
	return &v1.BatonServiceFinishTaskResponse{}, nil
}

func (s *server) UploadAsset(stream grpc.ClientStreamingServer[v1.BatonServiceUploadAssetRequest, v1.BatonServiceUploadAssetResponse]) error {
	var (
		meta   *v1.BatonServiceUploadAssetRequest_UploadMetadata
		data   bytes.Buffer
		chunks []int
		eof    []byte
	)
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch {
		case msg.HasMetadata():
			if meta != nil || data.Len() > 0 {
				return status.Error(codes.InvalidArgument, "metadata must come first, once")
			}
			meta = msg.GetMetadata()
		case msg.HasData():
			if meta == nil || eof != nil {
				return status.Error(codes.InvalidArgument, "data outside metadata..eof")
			}
			chunk := msg.GetData().GetData()
			if len(chunk) == 0 || len(chunk) > chunkLimit {
				return status.Errorf(codes.InvalidArgument, "chunk of %d bytes", len(chunk))
			}
			chunks = append(chunks, len(chunk))
			data.Write(chunk)
		case msg.HasEof():
			eof = msg.GetEof().GetSha256Checksum()
		}
	}
	if meta == nil || eof == nil {
		return status.Error(codes.InvalidArgument, "upload without metadata or eof")
	}
	t := s.task(meta.GetTaskId())
	if t == nil {
		return status.Errorf(codes.NotFound, "no task %s", meta.GetTaskId())
	}
	sum := sha256.Sum256(data.Bytes())
	u := &upload{
		TaskID: meta.GetTaskId(), HostID: meta.GetHostId(), Bytes: data.Len(), Chunks: chunks,
		SHA256: hex.EncodeToString(sum[:]), EOFChecksum: hex.EncodeToString(eof),
	}
	for _, marker := range s.rep.secretMarkers {
		if bytes.Contains(data.Bytes(), marker) {
			u.SecretInFile = true
		}
	}
	u.path = filepath.Join(s.dir, "upload-"+t.Name+".c1z")
	if err := os.WriteFile(u.path, data.Bytes(), 0o600); err != nil {
		return err
	}
	if err := readC1z(stream.Context(), u); err != nil {
		s.rep.fail("upload of %s: baton-sdk cannot read it: %v", t.Name, err)
	}
	s.mu.Lock()
	t.Upload = u
	s.mu.Unlock()
	return stream.SendAndClose(&v1.BatonServiceUploadAssetResponse{})
}

// readC1z opens an upload with baton-sdk's reader and counts what it holds.
func readC1z(ctx context.Context, u *upload) error {
	tmp, err := os.MkdirTemp("", "service-go-read")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	store, err := dotc1z.NewC1ZFile(ctx, u.path, dotc1z.WithTmpDir(tmp), dotc1z.WithReadOnly(true))
	if err != nil {
		return err
	}
	defer store.Close(ctx)
	syncs, err := store.ListSyncs(ctx, reader_v2.SyncsReaderServiceListSyncsRequest_builder{}.Build())
	if err != nil {
		return err
	}
	if len(syncs.GetSyncs()) != 1 {
		return fmt.Errorf("%d syncs in the upload, want 1", len(syncs.GetSyncs()))
	}
	u.SyncType = syncs.GetSyncs()[0].GetSyncType()
	token := ""
	for {
		resp, err := store.ListResourceTypes(ctx, v2.ResourceTypesServiceListResourceTypesRequest_builder{PageToken: token}.Build())
		if err != nil {
			return err
		}
		u.Counts.ResourceTypes += len(resp.GetList())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	types := map[string]bool{}
	for {
		resp, err := store.ListResources(ctx, v2.ResourcesServiceListResourcesRequest_builder{PageToken: token}.Build())
		if err != nil {
			return err
		}
		for _, r := range resp.GetList() {
			types[r.GetId().GetResourceType()] = true
			u.resources = append(u.resources, r)
		}
		u.Counts.Resources += len(resp.GetList())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	for t := range types {
		u.ResourceTypes = append(u.ResourceTypes, t)
	}
	sort.Strings(u.ResourceTypes)
	for {
		resp, err := store.ListEntitlements(ctx, v2.EntitlementsServiceListEntitlementsRequest_builder{PageToken: token}.Build())
		if err != nil {
			return err
		}
		u.Counts.Entitlements += len(resp.GetList())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	u.grants = map[string]*v2.Grant{}
	for {
		resp, err := store.ListGrants(ctx, v2.GrantsServiceListGrantsRequest_builder{PageToken: token}.Build())
		if err != nil {
			return err
		}
		for _, g := range resp.GetList() {
			u.grants[g.GetId()] = g
		}
		u.Counts.Grants += len(resp.GetList())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	return nil
}

// entitlementAndPrincipal loads, from an upload, the hydrated objects a GrantTask carries.
func entitlementAndPrincipal(ctx context.Context, u *upload, entitlementID string, principal *v2.ResourceId) (*v2.Entitlement, *v2.Resource, error) {
	tmp, err := os.MkdirTemp("", "service-go-read")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	store, err := dotc1z.NewC1ZFile(ctx, u.path, dotc1z.WithTmpDir(tmp), dotc1z.WithReadOnly(true))
	if err != nil {
		return nil, nil, err
	}
	defer store.Close(ctx)
	ent, err := store.GetEntitlement(ctx, reader_v2.EntitlementsReaderServiceGetEntitlementRequest_builder{EntitlementId: entitlementID}.Build())
	if err != nil {
		return nil, nil, err
	}
	res, err := store.GetResource(ctx, reader_v2.ResourcesReaderServiceGetResourceRequest_builder{ResourceId: principal}.Build())
	if err != nil {
		return nil, nil, err
	}
	e := ent.GetEntitlement()
	// The entitlement's resource, hydrated, as ConductorOne sends it.
	owner, err := store.GetResource(ctx, reader_v2.ResourcesReaderServiceGetResourceRequest_builder{ResourceId: e.GetResource().GetId()}.Build())
	if err != nil {
		return nil, nil, err
	}
	e.SetResource(owner.GetResource())
	return e, res.GetResource(), nil
}

// ---- the script -------------------------------------------------------------

func (s *server) enqueue(name string, build func(*v1.Task)) *taskRecord {
	id := ksuid.New().String()
	t := &v1.Task{}
	t.SetId(id)
	build(t)
	rec := &taskRecord{Name: name, ID: id, done: make(chan struct{})}
	s.mu.Lock()
	taskProtos[id] = t
	s.byID[id] = rec
	s.rep.Tasks = append(s.rep.Tasks, rec)
	s.queue = append(s.queue, rec)
	s.mu.Unlock()
	return rec
}

func (s *server) wait(t *taskRecord, limit time.Duration) bool {
	select {
	case <-t.done:
		return true
	case <-time.After(limit):
		s.rep.fail("task %s did not finish within %s", t.Name, limit)
		return false
	}
}

func (s *server) sync(name string, limit time.Duration, opts func(*v1.Task_SyncFullTask)) *taskRecord {
	t := s.enqueue(name, func(task *v1.Task) {
		full := &v1.Task_SyncFullTask{}
		if opts != nil {
			opts(full)
		}
		task.SetSyncFull(full)
	})
	if s.wait(t, limit) {
		s.checkSyncFinished(t)
	}
	return t
}

func (s *server) checkSyncFinished(t *taskRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Finish == nil || !t.Finish.Success {
		s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("sync %s did not finish successfully: %+v", t.Name, t.Finish))
		return
	}
	if t.Upload == nil {
		s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("sync %s finished without an upload", t.Name))
		return
	}
	u := t.Upload
	if u.SHA256 != u.EOFChecksum {
		s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("sync %s: sha256 %s != eof %s", t.Name, u.SHA256, u.EOFChecksum))
	}
	for i, c := range u.Chunks {
		if i < len(u.Chunks)-1 && c != sdkChunkBytes {
			s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("sync %s: chunk %d has %d bytes, want %d", t.Name, i, c, sdkChunkBytes))
		}
	}
	if u.SecretInFile {
		s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("sync %s: the client secret is in the uploaded file", t.Name))
	}
}

func (s *server) expectFailure(t *taskRecord, code codes.Code, nonRetryable bool, contains string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := t.Finish
	switch {
	case f == nil:
		s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("task %s: no FinishTask", t.Name))
	case f.Success:
		s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("task %s: finished successfully, want %s", t.Name, code))
	case codes.Code(f.Code) != code || f.NonRetryable != nonRetryable || !strings.Contains(f.Message, contains):
		s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("task %s: finished with code %d %q non_retryable=%v, want %s %q non_retryable=%v",
			t.Name, f.Code, f.Message, f.NonRetryable, code, contains, nonRetryable))
	}
}

func (s *server) expectSuccess(t *taskRecord, into proto.Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Finish == nil || !t.Finish.Success {
		s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("task %s did not succeed: %+v", t.Name, t.Finish))
		return false
	}
	if into != nil {
		want := "type.googleapis.com/" + string(into.ProtoReflect().Descriptor().FullName())
		if t.Finish.ResponseType != want {
			s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("task %s: response %q, want %q", t.Name, t.Finish.ResponseType, want))
			return false
		}
		if err := proto.Unmarshal(t.Finish.response, into); err != nil {
			s.rep.Failures = append(s.rep.Failures, fmt.Sprintf("task %s: response does not decode: %v", t.Name, err))
			return false
		}
	}
	return true
}

func (s *server) waitHello(taskID string, limit time.Duration) bool {
	deadline := time.After(limit)
	for {
		select {
		case id := <-s.rep.helloSeen:
			if id == taskID {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func (s *server) scenarioMain(ctx context.Context) {
	const limit = 90 * time.Second
	if !s.waitHello("", limit) {
		s.rep.fail("no startup Hello")
		return
	}
	hello := s.enqueue("hello", func(t *v1.Task) { t.SetHello(&v1.Task_HelloTask{}) })
	s.wait(hello, limit)

	full := s.sync("full", limit, nil)
	unexpanded := s.sync("skip-expand", limit, func(f *v1.Task_SyncFullTask) { f.SetSkipExpandGrants(true) })
	if full.Upload == nil || unexpanded.Upload == nil {
		return
	}
	expandedOnly := 0
	for id := range unexpanded.Upload.grants {
		if full.Upload.grants[id] == nil {
			s.rep.fail("grant %s is in the unexpanded upload only", id)
		}
	}
	for id, g := range full.Upload.grants {
		if unexpanded.Upload.grants[id] == nil {
			expandedOnly++
			if len(g.GetSources().GetSources()) == 0 {
				s.rep.fail("expanded grant %s has no sources", id)
			}
		}
	}
	s.rep.fact("expandedOnlyGrants", expandedOnly)
	if expandedOnly == 0 {
		s.rep.fail("the skip_expand_grants upload holds every grant of the expanded one")
	}

	// A member-less (entitlement, user) pair from the full sync's upload.
	var entitlementID string
	var principal *v2.ResourceId
	for _, r := range full.Upload.resources {
		if r.GetId().GetResourceType() != "group" || principal != nil {
			continue
		}
		candidate := "group:" + r.GetId().GetResource() + ":member"
		for _, u := range full.Upload.resources {
			if u.GetId().GetResourceType() != "user" {
				continue
			}
			if full.Upload.grants[candidate+":user:"+u.GetId().GetResource()] == nil {
				entitlementID, principal = candidate, u.GetId()
				break
			}
		}
	}
	if principal == nil {
		s.rep.fail("no group without some user in the full sync")
		return
	}
	ent, res, err := entitlementAndPrincipal(ctx, full.Upload, entitlementID, principal)
	if err != nil {
		s.rep.fail("loading grant objects: %v", err)
		return
	}
	grantID := entitlementID + ":user:" + principal.GetResource()
	s.rep.fact("grantId", grantID)
	grant := s.enqueue("grant", func(t *v1.Task) {
		g := &v1.Task_GrantTask{}
		g.SetEntitlement(ent)
		g.SetPrincipal(res)
		t.SetGrant(g)
	})
	s.wait(grant, limit)
	granted := &v2.GrantManagerServiceGrantResponse{}
	s.expectSuccess(grant, granted)
	afterGrant := s.sync("after-grant", limit, nil)
	if afterGrant.Upload == nil || afterGrant.Upload.grants[grantID] == nil {
		s.rep.fail("grant %s is not in the next sync's upload", grantID)
		return
	}
	revoke := s.enqueue("revoke", func(t *v1.Task) {
		r := &v1.Task_RevokeTask{}
		r.SetGrant(afterGrant.Upload.grants[grantID])
		t.SetRevoke(r)
	})
	s.wait(revoke, limit)
	s.expectSuccess(revoke, &v2.GrantManagerServiceRevokeResponse{})
	afterRevoke := s.sync("after-revoke", limit, nil)
	if afterRevoke.Upload != nil && afterRevoke.Upload.grants[grantID] != nil {
		s.rep.fail("grant %s is still in the upload after the revoke", grantID)
	}

	resourcesOnly := s.sync("skip-entitlements-and-grants", limit, func(f *v1.Task_SyncFullTask) { f.SetSkipEntitlementsAndGrants(true) })
	groupsOnly := s.sync("group-type-only", limit, func(f *v1.Task_SyncFullTask) { f.SetSyncResourceTypeIds([]string{"group"}) })
	var target *v2.Resource
	for _, r := range full.Upload.resources {
		if r.GetId().GetResourceType() == "group" {
			target = r
			break
		}
	}
	targeted := s.sync("targeted", limit, func(f *v1.Task_SyncFullTask) { f.SetTargetedSyncResources([]*v2.Resource{target}) })
	noGrants := s.sync("skip-grants", limit, func(f *v1.Task_SyncFullTask) { f.SetSkipGrants(true) })
	for _, t := range []*taskRecord{resourcesOnly, groupsOnly, targeted, noGrants} {
		if t.Upload == nil {
			return
		}
	}
	s.rep.fact("targetedResource", target.GetId().GetResource())

	unsupported := s.enqueue("event-feed", func(t *v1.Task) { t.SetEventFeed(&v1.Task_EventFeedTask{}) })
	s.wait(unsupported, limit)
	s.expectFailure(unsupported, codes.Unknown, false, "unsupported task type")

	malformed := s.enqueue("malformed-grant", func(t *v1.Task) { t.SetGrant(&v1.Task_GrantTask{}) })
	s.wait(malformed, limit)
	s.expectFailure(malformed, codes.Unknown, true, "malformed grant task")

	schemas := s.enqueue("action-list-schemas", func(t *v1.Task) { t.SetActionListSchemas(&v1.Task_ActionListSchemasTask{}) })
	s.wait(schemas, limit)
	listed := &v2.ListActionSchemasResponse{}
	if s.expectSuccess(schemas, listed) {
		names := []string{}
		for _, schema := range listed.GetSchemas() {
			names = append(names, schema.GetName())
		}
		s.rep.fact("actionSchemas", names)
	}
	args, _ := structpb.NewStruct(map[string]any{"userId": principal.GetResource()})
	invoke := s.enqueue("action-invoke", func(t *v1.Task) {
		a := &v1.Task_ActionInvokeTask{}
		a.SetName("lock_user")
		a.SetArgs(args)
		t.SetActionInvoke(a)
	})
	s.wait(invoke, limit)
	invoked := &v2.InvokeActionResponse{}
	if s.expectSuccess(invoke, invoked) {
		s.rep.fact("actionStatus", invoked.GetStatus().String())
		s.rep.fact("actionName", invoked.GetName())
	}

	// Rotate credentials, encrypted to a key only this server holds; baton-sdk's provider decrypts.
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	provider := &jwk.JWKEncryptionProvider{}
	pubJWK, _ := jose.JSONWebKey{Key: ecKey.Public()}.MarshalJSON()
	config := v2.EncryptionConfig_builder{
		Provider:           jwk.EncryptionProviderJwk,
		JwkPublicKeyConfig: v2.EncryptionConfig_JWKPublicKeyConfig_builder{PubKey: pubJWK}.Build(),
	}.Build()
	rotate := s.enqueue("rotate-credentials", func(t *v1.Task) {
		r := &v1.Task_RotateCredentialsTask{}
		r.SetResourceId(principal)
		r.SetEncryptionConfigs([]*v2.EncryptionConfig{config})
		t.SetRotateCredentials(r)
	})
	s.wait(rotate, limit)
	rotated := &v2.RotateCredentialResponse{}
	if s.expectSuccess(rotate, rotated) {
		if len(rotated.GetEncryptedData()) != 1 {
			s.rep.fail("rotate: %d encrypted credentials, want 1", len(rotated.GetEncryptedData()))
		} else {
			plain, err := provider.Decrypt(ctx, rotated.GetEncryptedData()[0], &jose.JSONWebKey{Key: ecKey})
			if err != nil {
				s.rep.fail("rotate: baton-sdk cannot decrypt the credential: %v", err)
			} else {
				s.rep.fact("rotatedCredentialName", plain.GetName())
				s.rep.fact("rotatedCredentialBytes", len(plain.GetBytes()))
			}
		}
	}
}

func (s *server) scenarioHeartbeat() {
	const limit = 60 * time.Second
	if !s.waitHello("", limit) {
		s.rep.fail("no startup Hello")
		return
	}
	s.sync("slow", limit, nil)
	cancelled := s.enqueue("cancelled", func(t *v1.Task) { t.SetSyncFull(&v1.Task_SyncFullTask{}) })
	cancelled.cancelAt = 2
	if s.wait(cancelled, limit) {
		s.expectFailure(cancelled, codes.Canceled, false, "cancelled")
		s.mu.Lock()
		if cancelled.Upload != nil {
			s.rep.Failures = append(s.rep.Failures, "the cancelled sync was uploaded")
		}
		s.mu.Unlock()
	}
	sigterm := s.enqueue("sigterm", func(t *v1.Task) { t.SetSyncFull(&v1.Task_SyncFullTask{}) })
	sigterm.onBeat = func(n int) {
		if n == 1 {
			fmt.Println("SYNC_RUNNING")
		}
	}
	if s.wait(sigterm, limit) {
		s.expectFailure(sigterm, codes.Canceled, false, "")
	}
}

func (s *server) scenarioOneShot() {
	const limit = 60 * time.Second
	if !s.waitHello("", limit) {
		s.rep.fail("no startup Hello")
		return
	}
	s.sync("oneshot", limit, nil)
}

// ---- TLS, listening, outages --------------------------------------------------

func makeTLS(dir string) (*tls.Config, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "service-go test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), caPEM, 0o600); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}},
	}, nil
}

func writeSecret(dir string) (ed25519.PublicKey, [][]byte, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	jwkJSON, err := jose.JSONWebKey{Key: priv}.MarshalJSON()
	if err != nil {
		return nil, nil, err
	}
	encoded := base64.RawURLEncoding.EncodeToString(jwkJSON)
	secret := "secret-token:conductorone.com:v1:" + encoded
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte(secret), 0o600); err != nil {
		return nil, nil, err
	}
	var parsed struct {
		D string `json:"d"`
	}
	_ = json.Unmarshal(jwkJSON, &parsed)
	return pub, [][]byte{[]byte(secret), []byte(encoded), []byte(parsed.D)}, nil
}

type listener struct {
	addr    string
	handler http.Handler
	tls     *tls.Config
	mu      sync.Mutex
	srv     *http.Server
}

func (l *listener) up() error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: l.handler, TLSConfig: l.tls.Clone(), ReadHeaderTimeout: 10 * time.Second}
	l.mu.Lock()
	l.srv = srv
	l.mu.Unlock()
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	return nil
}

func (l *listener) down() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv != nil {
		_ = l.srv.Close()
		l.srv = nil
	}
}

func (s *server) scenarioOutage(l *listener, outage time.Duration) {
	const limit = 60 * time.Second
	if !s.waitHello("", limit) {
		s.rep.fail("no startup Hello after the server came up")
		return
	}
	s.sync("before-outage", limit, nil)
	l.down()
	downAt := time.Now()
	time.Sleep(outage)
	if err := l.up(); err != nil {
		s.rep.fail("cannot listen again: %v", err)
		return
	}
	upAt := time.Now()
	s.rep.fact("outageMs", upAt.Sub(downAt).Milliseconds())
	after := s.sync("after-outage", limit, nil)
	s.mu.Lock()
	if !after.handedAt.IsZero() {
		s.rep.Facts["recoveredAfterUpMs"] = after.handedAt.Sub(upAt).Milliseconds()
	}
	s.mu.Unlock()
}

func main() {
	dir := flag.String("dir", "", "where ca.pem, secret.txt, uploads and report.json go")
	scenario := flag.String("scenario", "main", "main|heartbeat|outage|oneshot|reject-token|expired")
	heartbeat := flag.Duration("heartbeat", time.Second, "next_heartbeat the server asks for")
	downUntil := flag.String("down-until", "", "stay down (nothing listening) until this file exists")
	outage := flag.Duration("outage", 4*time.Second, "outage: how long the mid-run outage lasts")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "service-go: -dir is required")
		os.Exit(2)
	}
	tlsConfig, err := makeTLS(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "service-go:", err)
		os.Exit(1)
	}
	pub, markers, err := writeSecret(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "service-go:", err)
		os.Exit(1)
	}
	rep := &report{Scenario: *scenario, Failures: []string{}, Facts: map[string]any{}, Tasks: []*taskRecord{},
		Hellos: []json.RawMessage{}, helloSeen: make(chan string, 16), secretMarkers: markers}
	s := &server{rep: rep, pub: pub, scenario: *scenario, dir: *dir, tokens: map[string]bool{},
		byID: map[string]*taskRecord{}, heartbeat: *heartbeat}
	grpcServer := grpc.NewServer(grpc.UnaryInterceptor(s.unaryAuth), grpc.StreamInterceptor(s.streamAuth))
	v1.RegisterBatonServiceServer(grpcServer, s)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/v1/token", s.tokenEndpoint)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			grpcServer.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})

	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "service-go:", err)
		os.Exit(1)
	}
	addr := probe.Addr().String()
	_ = probe.Close()
	l := &listener{addr: addr, handler: handler, tls: tlsConfig}
	_, port, _ := net.SplitHostPort(addr)
	if *downUntil == "" {
		if err := l.up(); err != nil {
			fmt.Fprintln(os.Stderr, "service-go:", err)
			os.Exit(1)
		}
	}
	fmt.Println("LISTENING", port)
	if *downUntil != "" {
		for {
			if _, err := os.Stat(*downUntil); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := l.up(); err != nil {
			fmt.Fprintln(os.Stderr, "service-go:", err)
			os.Exit(1)
		}
	}

	ctx := context.Background()
	switch *scenario {
	case "main":
		s.scenarioMain(ctx)
	case "heartbeat":
		s.scenarioHeartbeat()
	case "outage":
		s.scenarioOutage(l, *outage)
	case "oneshot":
		s.scenarioOneShot()
	case "reject-token", "expired":
		// Nothing to hand out: the client must give up on its own. Wait for it to try.
		time.Sleep(200 * time.Millisecond)
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			rep.mu.Lock()
			tried := rep.TokenRequests > 0 && (*scenario == "reject-token" || len(rep.UserAgents) > 0)
			rep.mu.Unlock()
			if tried {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	default:
		fmt.Fprintln(os.Stderr, "service-go: unknown scenario", *scenario)
		os.Exit(2)
	}
	rep.mu.Lock()
	rep.Facts["polls"] = len(rep.pollTimes)
	out, _ := json.MarshalIndent(rep, "", "  ")
	rep.mu.Unlock()
	if err := os.WriteFile(filepath.Join(*dir, "report.json"), out, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "service-go:", err)
		os.Exit(1)
	}
	fmt.Println("DONE")
	// Keep serving (no tasks) until the test stops us, so the client can wind down.
	select {}
}
