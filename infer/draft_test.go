package infer

import (
	"context"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

func TestDraftModelLadderSystemPromptAndSwitch(t *testing.T) {
	calls := 0
	s := fakevllm.New(fakevllm.Options{Responder: func(r fakevllm.Request) string {
		calls++
		if calls < 3 {
			return "<think>long reasoning</think>I am not sure." // unparseable twice
		}
		return `<think>ok</think>[{"label": "pneumothorax", "status": "absent", "span": "No pneumothorax"}]`
	}})
	defer s.Close()
	prompt, err := configs.LoadPrompt(configs.PromptDraftParse, "")
	if err != nil {
		t.Fatal(err)
	}
	profile, _ := configs.LoadProfile(configs.ProfileCxrkit)
	profile.Draft.Switch = "/no_think"
	dm, err := NewDraftModel(DraftModelOptions{Chat: newTestClient(t, ClientOptions{}, s), Prompt: prompt, Vocab: vocab(t),
		System: "You extract findings.", Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	r, err := dm.ReadDraft(context.Background(), "No pneumothorax.")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != cxrkit.ParseOK || len(r.Findings) != 1 || r.Findings[0].Span != "No pneumothorax" {
		t.Fatalf("reading %+v", r)
	}
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want the 3-step ladder", len(reqs))
	}
	first, last := reqs[0], reqs[2]
	if first.MaxTokens != DefaultDraftMaxTokens || first.Messages[0].Role != "system" || first.Messages[0].Texts()[0] != "You extract findings." {
		t.Fatalf("first request: max_tokens %d, messages %+v", first.MaxTokens, first.Messages)
	}
	user := first.Messages[1].Texts()[0]
	if !strings.HasSuffix(user, "\n/no_think") || strings.Contains(user, Corrective) {
		t.Errorf("first user turn ends %q", user[max(0, len(user)-60):])
	}
	if !strings.Contains(reqs[1].Messages[1].Texts()[0], Corrective) || *first.Temperature != 0 {
		t.Error("second attempt lacks the corrective instruction, or the first is not greedy")
	}
	if *last.Temperature != 0.4 || *last.TopP != 0.9 {
		t.Errorf("third attempt samples at %v/%v, want 0.4/0.9", *last.Temperature, *last.TopP)
	}
}
