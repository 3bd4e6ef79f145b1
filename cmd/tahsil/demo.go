package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// The demo portfolio: fictional creditors and debtors, in Arabic and Latin
// script, across several wilayas. Identifiers are made up and only have the
// right shape.
var demoCreditors = []map[string]any{
	{"name": "SARL Atlas Équipements", "legal_form": "SARL", "nif": "000216012345678", "rc": "16/00-0123456B18",
		"sector": "Distribution de matériel", "wilaya": 16, "address": "12 rue Didouche Mourad, Alger-Centre",
		"phone": "021 63 45 12", "email": "recouvrement@atlas-equipements.dz", "contact_name": "Nadia Belkacem", "commission_bps": 1200},
	{"name": "مؤسسة النور للتوزيع", "legal_form": "EURL", "nif": "000219087654321", "rc": "19/00-0456789B20",
		"sector": "توزيع المواد الغذائية", "wilaya": 19, "address": "حي 1014 مسكن، سطيف",
		"phone": "0661 23 45 67", "email": "contact@ennour-distribution.dz", "contact_name": "رضا بن عمار", "commission_bps": 1000},
	{"name": "EURL Tassili Informatique", "legal_form": "EURL", "nif": "000231055512345", "sector": "Services informatiques",
		"wilaya": 31, "address": "Boulevard de l'ALN, Oran", "phone": "0770 11 22 33", "email": "finance@tassili-info.dz",
		"contact_name": "Sofiane Merabet", "commission_bps": 1500},
	{"name": "SPA Djurdjura Agro", "legal_form": "SPA", "nif": "000215099988877", "sector": "Agroalimentaire",
		"wilaya": 15, "address": "Zone industrielle Oued Aïssi, Tizi Ouzou", "phone": "026 21 00 45",
		"email": "creances@djurdjura-agro.dz", "contact_name": "Lounès Ait Ahmed", "commission_bps": 800},
}

var demoDebtors = []map[string]any{
	{"kind": "person", "full_name": "محمد بن علي", "nin": "109870123456789012", "phones": []string{"0550 12 34 56"},
		"address": "حي الموز، البليدة", "wilaya": 9, "language": "ar"},
	{"kind": "person", "full_name": "Fatima Zohra Boudiaf", "nin": "209850234567890123", "phones": []string{"0661 98 76 54"},
		"email": "fz.boudiaf@example.dz", "address": "Cité Daksi, Constantine", "wilaya": 25, "language": "fr"},
	{"kind": "person", "full_name": "يوسف قاسمي", "nin": "109900345678901234", "phones": []string{"0770 45 67 89", "0551 22 33 44"},
		"address": "حي 500 مسكن، باتنة", "wilaya": 5, "language": "ar"},
	{"kind": "person", "full_name": "Amina Kaci", "nin": "209950456789012345", "email": "amina.kaci@example.dz",
		"address": "Rue de la Liberté, Béjaïa", "wilaya": 6, "preferred_channel": "email", "language": "fr"},
	{"kind": "person", "full_name": "عبد القادر مرابط", "nin": "109750567890123456", "phones": []string{"0662 10 20 30"},
		"address": "حي النصر، ورقلة", "wilaya": 30, "language": "ar"},
	{"kind": "person", "full_name": "Karim Hadj Ahmed", "nin": "109880678901234567", "phones": []string{"0555 66 77 88"},
		"address": "Cours de la Révolution, Annaba", "wilaya": 23, "language": "fr"},
	{"kind": "company", "full_name": "SARL Sahara Transport", "nif": "000247012398765", "rc": "47/00-0098765B15",
		"phones": []string{"0771 00 11 22"}, "email": "gestion@sahara-transport.dz", "address": "Route de Ouargla, Ghardaïa",
		"wilaya": 47, "language": "fr"},
	{"kind": "person", "full_name": "ليلى بوزيد", "nin": "209920789012345678", "phones": []string{"0663 55 44 33"},
		"address": "حي الكيفان، تلمسان", "wilaya": 13, "language": "ar"},
}

// loadDemo posts the demo portfolio through the REST API of a running
// server, once: every record has its own Idempotency-Key, so running it
// again creates nothing.
func loadDemo(ctx context.Context, base string, log *slog.Logger) error {
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(path, key string, body map[string]any) error {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		switch resp.StatusCode {
		case http.StatusCreated, http.StatusAccepted:
			return nil
		case http.StatusConflict:
			return nil // already there (loaded by an earlier run under another key)
		}
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, msg)
	}
	for i, c := range demoCreditors {
		if err := post("/api/v1/creditors", fmt.Sprintf("demo-creditor-%d", i+1), c); err != nil {
			return err
		}
	}
	for i, d := range demoDebtors {
		if err := post("/api/v1/debtors", fmt.Sprintf("demo-debtor-%d", i+1), d); err != nil {
			return err
		}
	}
	log.Info("demo data loaded", "creditors", len(demoCreditors), "debtors", len(demoDebtors))
	fmt.Printf("demo data: %d creditors and %d debtors (try %s/api/v1/debtors?q=benali)\n", len(demoCreditors), len(demoDebtors), base)
	return nil
}
